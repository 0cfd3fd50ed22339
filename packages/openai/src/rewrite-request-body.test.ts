import { createBudget } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import type { BudgetedCall } from './plan-call.ts'
import { rewriteRequestBody } from './rewrite-request-body.ts'

async function call(overrides: Partial<BudgetedCall>): Promise<BudgetedCall> {
  const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
  const reservation = await budget.reserve({ thread: 't' }, { inputTokens: 1, maxOutputTokens: 1 })
  return {
    endpoint: 'chat',
    stream: false,
    reservation,
    warnings: [],
    takenWarnings: [],
    maxOutput: undefined,
    addsUsageChunk: false,
    ...overrides,
  }
}

function rewrite(body: object, edits: BudgetedCall) {
  return JSON.parse(rewriteRequestBody(JSON.stringify(body), edits))
}

describe('rewriteRequestBody', () => {
  describe('chat', () => {
    it('should insert the warning after the leading system and developer messages', async () => {
      const body = {
        messages: [
          { role: 'developer', content: 'rules' },
          { role: 'system', content: 'more rules' },
          { role: 'user', content: 'hi' },
          { role: 'system', content: 'late' },
        ],
      }
      const result = rewrite(body, await call({ warnings: ['w1', 'w2'] }))
      expect(result.messages.map((m: { role: string }) => m.role)).toEqual([
        'developer',
        'system',
        'developer',
        'user',
        'system',
      ])
      expect(result.messages[2].content).toBe('w1\nw2')
    })

    it('should use a system message when the conversation has no developer message', async () => {
      const result = rewrite({ messages: [{ role: 'user', content: 'hi' }] }, await call({ warnings: ['w'] }))
      expect(result.messages[0]).toEqual({ role: 'system', content: 'w' })
    })

    it('should add include_usage to a stream and keep the other stream options', async () => {
      const body = { messages: [], stream: true, stream_options: { include_obfuscation: false } }
      const result = rewrite(body, await call({ addsUsageChunk: true, stream: true }))
      expect(result.stream_options).toEqual({ include_obfuscation: false, include_usage: true })
    })

    it('should write a clamped maximum', async () => {
      const result = rewrite(
        { messages: [] },
        await call({ maxOutput: { field: 'max_completion_tokens', value: 42 } }),
      )
      expect(result.max_completion_tokens).toBe(42)
    })
  })

  describe('responses', () => {
    it('should append to instructions, or set them when there are none', async () => {
      const edits = await call({ endpoint: 'responses', warnings: ['w'] })
      expect(rewrite({ input: 'hi', instructions: 'Be brief.' }, edits).instructions).toBe('Be brief.\n\nw')
      expect(rewrite({ input: 'hi' }, edits).instructions).toBe('w')
    })
  })

  describe('passthrough', () => {
    it('should return the same text when there is nothing to do or it is not JSON', async () => {
      const text = '{"messages":[] }'
      expect(rewriteRequestBody(text, await call({}))).toBe(text)
      expect(rewriteRequestBody('not json', await call({ warnings: ['w'] }))).toBe('not json')
    })
  })
})
