import type { Budget, Tally } from '@tokenwarden/core'
import type { OpenAITestServer } from '@tokenwarden/openai-test-server'
import type OpenAI from 'openai'
import { Stream } from 'openai/streaming'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useOpenAIFixture } from './test/openai-fixture.ts'
import { withBudget } from './with-budget.ts'

const messages = [{ role: 'user' as const, content: 'Summarise the plan.' }]
const usage = { inputTokens: 40, outputTokens: 12, cachedTokens: 8, reasoningTokens: 5 }

describe('apiPromiseParts', () => {
  let server: OpenAITestServer
  let raw: OpenAI
  let budget: Budget
  let settled: Tally[]
  const fixture = useOpenAIFixture()
  beforeEach(() => {
    ;({ server, raw, budget, settled } = fixture)
  })

  function expectCountedToEqualServer() {
    const totals = server.totals()
    expect(totals.requests).toBeGreaterThan(0)
    expect(settled.reduce((sum, tally) => sum + tally.tokens, 0)).toBe(
      totals.inputTokens + totals.outputTokens,
    )
    expect(settled.reduce((sum, tally) => sum + tally.cachedInputTokens, 0)).toBe(totals.cachedTokens)
    expect(settled.reduce((sum, tally) => sum + tally.reasoningTokens, 0)).toBe(totals.reasoningTokens)
  }

  async function reserved(context = { thread: 't-1' }) {
    const [status] = await budget.status(context)
    return status!.reserved
  }

  describe('APIPromise methods', () => {
    it('should keep withResponse() and asResponse() working', async () => {
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      server.enqueue({ text: 'with response', usage, headers: { 'x-request-id': 'req_1' } })
      const { data, response, request_id } = await client.chat.completions
        .create({ model: 'gpt-4o', messages })
        .withResponse()
      expect(data.choices[0]!.message.content).toBe('with response')
      expect(response.status).toBe(200)
      expect(request_id).toBe('req_1')
      server.enqueue({ text: 'as response', usage })
      const settledOnce = new Promise((resolve) => budget.on('settled', resolve))
      const rawResponse = await client.responses.create({ model: 'gpt-4o', input: 'Hi' }).asResponse()
      const body = (await rawResponse.json()) as { output: { content: { text: string }[] }[] }
      expect(body.output[0]!.content[0]!.text).toBe('as response')
      await settledOnce
      expectCountedToEqualServer()
    })

    it('should count a JSON call from its parsed value without reading the body twice', async () => {
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const clone = vi.spyOn(Response.prototype, 'clone')
      try {
        server.enqueue({ text: 'parsed once', usage })
        const completion = await client.chat.completions.create({ model: 'gpt-4o', messages })
        expect(completion.choices[0]!.message.content).toBe('parsed once')
        expect(clone).not.toHaveBeenCalled()
      } finally {
        clone.mockRestore()
      }
      expect(await reserved()).toBe(0)
      expectCountedToEqualServer()
    })

    it('should count a call that nobody awaits', async () => {
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      server.enqueue({ text: 'fire and forget', usage })
      const settledOnce = new Promise((resolve) => budget.on('settled', resolve))
      void client.chat.completions.create({ model: 'gpt-4o', messages })
      await settledOnce
      expect(await reserved()).toBe(0)
      expectCountedToEqualServer()
    })

    it('should count a call once when it is awaited only after its response arrived', async () => {
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      server.enqueue({ text: 'late', usage })
      const settledOnce = new Promise((resolve) => budget.on('settled', resolve))
      const pending = client.chat.completions.create({ model: 'gpt-4o', messages })
      await settledOnce
      const completion = await pending
      expect(completion.choices[0]!.message.content).toBe('late')
      expect(settled).toHaveLength(1)
      expectCountedToEqualServer()
    })

    it('should return streams that are instances of Stream', async () => {
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      expect(stream).toBeInstanceOf(Stream)
      expect(stream.controller).toBeInstanceOf(AbortController)
      const [left, right] = stream.tee()
      expect(left).toBeInstanceOf(Stream)
      for await (const _ of left);
      for await (const _ of right);
      expect(await reserved()).toBe(0)
    })
  })
})
