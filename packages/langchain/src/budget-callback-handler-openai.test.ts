import { HumanMessage } from '@langchain/core/messages'
import { ChatOpenAI } from '@langchain/openai'
import {
  type Budget,
  type BudgetEvents,
  BudgetExceededError,
  createBudget,
  ReservationOverrunError,
} from '@tokenwarden/core'
import { type OpenAITestServer, startOpenAITestServer } from '@tokenwarden/openai-test-server'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
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

function chatModel(fields: { maxTokens?: number } = {}) {
  return new ChatOpenAI({
    model: 'gpt-4o',
    apiKey: 'test-key',
    configuration: { baseURL: server.url },
    maxRetries: 0,
    ...fields,
  })
}

function recordSettled(budget: Budget) {
  const events: BudgetEvents['settled'][] = []
  budget.on('settled', (event) => events.push(event))
  return events
}

function totalsOf(events: BudgetEvents['settled'][]) {
  const totals = { inputTokens: 0, outputTokens: 0, cachedTokens: 0, reasoningTokens: 0 }
  for (const { usage } of events) {
    totals.inputTokens += usage.inputTokens
    totals.outputTokens += usage.outputTokens
    totals.cachedTokens += usage.cachedInputTokens
    totals.reasoningTokens += usage.reasoningTokens
  }
  return totals
}

describe('BudgetCallbackHandler with ChatOpenAI', () => {
  describe('handleLLMEnd', () => {
    it('should record the usage the server reported on invoke, cached and reasoning tokens included', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
      const events = recordSettled(budget)
      const handler = new BudgetCallbackHandler({ budget, context: { thread: 't' } })
      server.enqueue(
        {
          text: 'Hello there',
          usage: { inputTokens: 50, outputTokens: 20, cachedTokens: 32, reasoningTokens: 8 },
        },
        { text: 'Again', usage: { inputTokens: 70, outputTokens: 5, cachedTokens: 64 } },
      )

      await chatModel().invoke([new HumanMessage('Hi')], { callbacks: [handler] })
      await chatModel().invoke([new HumanMessage('Hi again')], { callbacks: [handler] })

      const sent = server.totals()
      expect(totalsOf(events)).toEqual({
        inputTokens: sent.inputTokens,
        outputTokens: sent.outputTokens,
        cachedTokens: sent.cachedTokens,
        reasoningTokens: sent.reasoningTokens,
      })
      expect(events.every((event) => event.model === 'gpt-4o' && !event.estimated)).toBe(true)
      const [status] = await budget.status({ thread: 't' })
      expect(status).toMatchObject({ used: 145, reserved: 0 })
    })

    it('should record the usage the server reported on .stream()', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
      const events = recordSettled(budget)
      const handler = new BudgetCallbackHandler({ budget, context: { thread: 't' } })
      server.enqueue({
        text: 'one two three four',
        usage: { inputTokens: 40, outputTokens: 12, cachedTokens: 16, reasoningTokens: 6 },
      })

      let text = ''
      for await (const chunk of await chatModel().stream('Hi', { callbacks: [handler] }))
        text += chunk.content

      expect(text).toBe('one two three four')
      expect(server.requests[0]?.body.stream_options).toEqual({ include_usage: true })
      const sent = server.totals()
      expect(totalsOf(events)).toEqual({
        inputTokens: sent.inputTokens,
        outputTokens: sent.outputTokens,
        cachedTokens: sent.cachedTokens,
        reasoningTokens: sent.reasoningTokens,
      })
      expect(handler.openRuns).toBe(0)
    })

    it('should reserve the max_tokens the model sets', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
      const reserved: BudgetEvents['reserved'][] = []
      budget.on('reserved', (event) => reserved.push(event))
      server.enqueue({ text: 'ok', usage: { inputTokens: 5, outputTokens: 1 } })

      await chatModel({ maxTokens: 321 }).invoke('Hi', {
        callbacks: [new BudgetCallbackHandler({ budget, context: { thread: 't' } })],
      })

      expect(server.requests[0]?.body.max_tokens).toBe(321)
      expect(reserved[0]?.amount.outputTokens).toBe(321)
    })
  })

  describe('handleChatModelStart', () => {
    it('should send no request when the budget cannot afford the call', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100 }] })
      const handler = new BudgetCallbackHandler({ budget, context: { thread: 't' } })

      const error = await chatModel({ maxTokens: 500 })
        .invoke('Hi', { callbacks: [handler] })
        .catch((caught) => caught)

      expect(BudgetExceededError.isInstance(error)).toBe(true)
      expect(server.requests).toHaveLength(0)
    })
  })

  describe('handleLLMNewToken', () => {
    it('should stop a stream that runs past its reservation and count what streamed', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
      const events = recordSettled(budget)
      const handler = new BudgetCallbackHandler({
        budget,
        context: { thread: 't' },
        stopStreamsAtReservation: true,
      })
      const words = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ')
      server.enqueue({ text: words, usage: { inputTokens: 10, outputTokens: 200 } })

      let chunks = 0
      const error = await (async () => {
        for await (const _ of await chatModel({ maxTokens: 20 }).stream('Hi', { callbacks: [handler] }))
          chunks++
      })().catch((caught) => caught)

      expect(ReservationOverrunError.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ reservedOutputTokens: 20 })
      expect(error.producedOutputTokens).toBeGreaterThan(20)
      expect(chunks).toBeLessThan(50)
      expect(events).toHaveLength(1)
      expect(events[0]!.estimated).toBe(true)
      expect(events[0]!.usage.outputTokens).toBeGreaterThan(20)
      const [status] = await budget.status({ thread: 't' })
      expect(status!.reserved).toBe(0)
    })
  })

  describe('handleLLMError', () => {
    it('should release the reservation when the server answers with an error', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
      const handler = new BudgetCallbackHandler({ budget, context: { thread: 't' } })
      server.enqueue({ status: 500 })

      await expect(chatModel().invoke('Hi', { callbacks: [handler] })).rejects.toThrow()

      const [status] = await budget.status({ thread: 't' })
      expect(status).toMatchObject({ used: 0, reserved: 0 })
      expect(handler.openRuns).toBe(0)
    })

    it('should settle the streamed part as an estimate when the stream is cut', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
      const events = recordSettled(budget)
      const handler = new BudgetCallbackHandler({ budget, context: { thread: 't' } })
      // Without a small delay the client sees the cut before any chunk (APIConnectionError).
      server.enqueue({
        text: 'a b c d e f g h',
        cutAfterChunks: 3,
        delayMs: 5,
        usage: { inputTokens: 10, outputTokens: 8 },
      })

      await expect(
        (async () => {
          for await (const _ of await chatModel().stream('Hi', { callbacks: [handler] })) {
            // drain
          }
        })(),
      ).rejects.toThrow()

      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({ estimated: true })
      expect(events[0]!.usage.outputTokens).toBeGreaterThan(0)
      const [status] = await budget.status({ thread: 't' })
      expect(status!.reserved).toBe(0)
    })
  })
})
