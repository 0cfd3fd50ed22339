import { HumanMessage } from '@langchain/core/messages'
import { ChatOpenAI } from '@langchain/openai'
import { type BudgetEvents, createBudget } from '@tokenwarden/core'
import { type OpenAITestServer, startOpenAITestServer } from '@tokenwarden/openai-test-server'
import { createAgent, tool } from 'langchain'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { agentBudgetMiddleware } from './agent-budget-middleware.ts'

let server: OpenAITestServer

beforeAll(async () => {
  server = await startOpenAITestServer()
})
afterAll(async () => {
  await server.close()
})
beforeEach(() => {
  server.reset()
})

const lookup = tool(async ({ id }: { id: string }) => `record ${id}`, {
  name: 'lookup',
  description: 'Looks a record up.',
  schema: z.object({ id: z.string() }),
})

function chatModel(maxTokens: number) {
  return new ChatOpenAI({
    model: 'gpt-4o',
    apiKey: 'test-key',
    configuration: { baseURL: server.url },
    maxRetries: 0,
    maxTokens,
  })
}

describe('agentBudgetMiddleware with ChatOpenAI', () => {
  describe('wrapModelCall', () => {
    it('should record the usage the server reported across a tool loop, cached and reasoning included', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
      const settled: BudgetEvents['settled'][] = []
      budget.on('settled', (event) => settled.push(event))
      server.enqueue(
        {
          toolCalls: [{ name: 'lookup', arguments: '{"id":"42"}' }],
          usage: { inputTokens: 80, outputTokens: 20, cachedTokens: 64, reasoningTokens: 12 },
        },
        { text: 'Record 42 is fine.', usage: { inputTokens: 120, outputTokens: 8, cachedTokens: 64 } },
      )
      const agent = createAgent({
        model: chatModel(200),
        tools: [lookup],
        middleware: [agentBudgetMiddleware({ budget })],
      })

      const result = await agent.invoke(
        { messages: [new HumanMessage('Check record 42')] },
        { configurable: { thread_id: 't-1' } },
      )

      expect(result.messages.at(-1)!.text).toBe('Record 42 is fine.')
      const sent = server.totals()
      const sum = (pick: (usage: BudgetEvents['settled']['usage']) => number) =>
        settled.reduce((total, event) => total + pick(event.usage), 0)
      expect(sum((usage) => usage.inputTokens)).toBe(sent.inputTokens)
      expect(sum((usage) => usage.outputTokens)).toBe(sent.outputTokens)
      expect(sum((usage) => usage.cachedInputTokens)).toBe(sent.cachedTokens)
      expect(sum((usage) => usage.reasoningTokens)).toBe(sent.reasoningTokens)
      const [status] = await budget.status({ thread: 't-1' })
      expect(status).toMatchObject({ used: 228, reserved: 0 })
    })

    it('should clamp max_tokens to what the budget can still afford', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const reserved: BudgetEvents['reserved'][] = []
      budget.on('reserved', (event) => reserved.push(event))
      server.enqueue({ text: 'Short.', usage: { inputTokens: 30, outputTokens: 2 } })
      const agent = createAgent({
        model: chatModel(4000),
        tools: [lookup],
        middleware: [agentBudgetMiddleware({ budget, clamp: true })],
      })

      await agent.invoke({ messages: [new HumanMessage('Hi')] }, { configurable: { thread_id: 't-1' } })

      const sentMax = server.requests[0]?.body.max_tokens
      expect(sentMax).toBeLessThan(1000)
      expect(sentMax).toBe(reserved[0]!.amount.outputTokens)
      expect(reserved[0]!.amount.tokens).toBe(1000)
    })

    it('should leave max_tokens alone without clamp and end the run instead', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const agent = createAgent({
        model: chatModel(4000),
        tools: [lookup],
        middleware: [agentBudgetMiddleware({ budget, onExceeded: 'finish' })],
      })

      const result = await agent.invoke(
        { messages: [new HumanMessage('Hi')] },
        { configurable: { thread_id: 't-1' } },
      )

      expect(server.requests).toHaveLength(0)
      expect((result.messages.at(-1)!.response_metadata as any).tokenwarden.exceeded).toBeDefined()
    })
  })
})
