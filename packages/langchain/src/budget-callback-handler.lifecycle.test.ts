import { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import { AIMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { ChatOpenAI } from '@langchain/openai'
import { type Budget, type BudgetEvents, createBudget } from '@tokenwarden/core'
import { type OpenAITestServer, startOpenAITestServer } from '@tokenwarden/openai-test-server'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { BudgetCallbackHandler } from './budget-callback-handler.ts'

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

const thread = { thread: 't' }
const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ')

function chatModel() {
  return new ChatOpenAI({
    model: 'gpt-4o',
    apiKey: 'test-key',
    configuration: { baseURL: server.url },
    maxRetries: 0,
  })
}

async function statusOf(budget: Budget) {
  const [status] = await budget.status(thread)
  return status!
}

function settledEvents(budget: Budget): BudgetEvents['settled'][] {
  const events: BudgetEvents['settled'][] = []
  budget.on('settled', (event) => events.push(event))
  return events
}

/** Another raising handler that refuses every call, after ours has reserved. */
class RefusingHandler extends BaseCallbackHandler {
  name = 'RefusingHandler'
  constructor() {
    super({ raiseError: true, _awaitHandler: true })
  }
  override async handleChatModelStart(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 10))
    throw new Error('refused by another policy')
  }
}

describe('BudgetCallbackHandler lifecycle', () => {
  describe('handleChatModelStart', () => {
    it('should release the reservation another handler refused after ours reserved', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const handler = new BudgetCallbackHandler({ budget, context: thread, stallMs: 50 })
      const model = fakeModel().respond(new AIMessage('never'))
      const silent = vi.spyOn(console, 'error').mockImplementation(() => {})

      const error = await model
        .invoke('Hi', { callbacks: [handler, new RefusingHandler()] })
        .catch((caught: Error) => caught)
      silent.mockRestore()

      expect((error as Error).message).toBe('refused by another policy')
      expect(model.callCount).toBe(0)
      // LangChain calls neither handleLLMEnd nor handleLLMError: the stall watch releases the call.
      await vi.waitFor(async () => expect((await statusOf(budget)).reserved).toBe(0), { timeout: 5_000 })
      expect((await statusOf(budget)).used).toBe(0)
      expect(handler.openRuns).toBe(0)
    })
  })

  describe('handleLLMEnd', () => {
    it('should still count a slow invoke that answers after stallMs without a token', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
      const handler = new BudgetCallbackHandler({ budget, context: thread, stallMs: 50 })
      server.enqueue({ text: 'Thought long about it.', usage: { inputTokens: 30, outputTokens: 12 } })
      const slow = new ChatOpenAI({
        model: 'gpt-4o',
        apiKey: 'test-key',
        maxRetries: 0,
        configuration: {
          baseURL: server.url,
          fetch: async (input: string | URL | Request, init?: RequestInit) => {
            await new Promise((resolve) => setTimeout(resolve, 400)) // a reasoning model, long past stallMs
            return fetch(input, init)
          },
        },
      })

      const message = await slow.invoke('Hi', { callbacks: [handler] })

      expect(message.text).toBe('Thought long about it.')
      expect(await statusOf(budget)).toMatchObject({ used: 42, reserved: 0 })
      expect(handler.openRuns).toBe(0)
    })
  })

  describe('handleLLMNewToken', () => {
    it('should settle what streamed after a stream() left with break', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
      const settled = settledEvents(budget)
      const handler = new BudgetCallbackHandler({ budget, context: thread, stallMs: 100 })
      server.enqueue({ text: words, delayMs: 5, usage: { inputTokens: 10, outputTokens: 40 } })

      let chunks = 0
      for await (const _ of await chatModel().stream('Hi', { callbacks: [handler] })) {
        if (++chunks === 4) break
      }

      await vi.waitFor(async () => expect((await statusOf(budget)).reserved).toBe(0), { timeout: 5_000 })
      expect(settled).toHaveLength(1)
      expect(settled[0]).toMatchObject({ estimated: true })
      expect(settled[0]!.usage.outputTokens).toBeGreaterThan(0)
      expect(settled[0]!.usage.outputTokens).toBeLessThan(budget.estimator.count(words))
      expect((await statusOf(budget)).used).toBe(settled[0]!.usage.tokens)
      expect(handler.openRuns).toBe(0)
    })

    it('should settle what streamed when a streamEvents consumer throws', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
      const settled = settledEvents(budget)
      const handler = new BudgetCallbackHandler({ budget, context: thread, stallMs: 100 })
      server.enqueue({ text: words, delayMs: 5, usage: { inputTokens: 10, outputTokens: 40 } })

      const error = await (async () => {
        const events = chatModel().streamEvents('Hi', { version: 'v2', callbacks: [handler] })
        let chunks = 0
        // A few chunks in: on Node 22.0 the consumer sees the first chunk before the handler does (a
        // consumer failing on the very first chunk is released: the handler saw nothing go out)
        for await (const event of events) {
          if (event.event === 'on_chat_model_stream' && ++chunks === 3) throw new Error('consumer failed')
        }
      })().catch((caught: Error) => caught)

      expect((error as Error).message).toBe('consumer failed')
      await vi.waitFor(async () => expect((await statusOf(budget)).reserved).toBe(0), { timeout: 5_000 })
      expect(settled).toHaveLength(1)
      expect(settled[0]).toMatchObject({ estimated: true })
      expect(settled[0]!.usage.outputTokens).toBeGreaterThan(0)
      expect(handler.openRuns).toBe(0)
    })

    it('should keep the lease of a stream that runs past it alive while tokens arrive', async () => {
      // A 2 s lease and a stream of ~3 s: renewed while it makes progress, so the hold never lapses.
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }], leaseMs: 2_000 })
      const settled = settledEvents(budget)
      const handler = new BudgetCallbackHandler({ budget, context: thread, stallMs: 1_000 })
      server.enqueue({ text: words, delayMs: 75, usage: { inputTokens: 10, outputTokens: 40 } })

      const reservedDuring: number[] = []
      let chunks = 0
      for await (const _ of await chatModel().stream('Hi', { callbacks: [handler] })) {
        if (++chunks % 10 === 0) reservedDuring.push((await statusOf(budget)).reserved)
      }

      expect(reservedDuring.length).toBeGreaterThanOrEqual(3)
      expect(reservedDuring.every((reserved) => reserved > 0)).toBe(true)
      expect(settled).toHaveLength(1)
      expect(settled[0]).toMatchObject({ estimated: false, usage: { inputTokens: 10, outputTokens: 40 } })
      expect(await statusOf(budget)).toMatchObject({ used: 50, reserved: 0 })
    })
  })
})
