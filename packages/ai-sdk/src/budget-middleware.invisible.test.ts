import type {
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
} from '@ai-sdk/provider'
import { createBudget } from '@tokenwarden/core'
import { generateText, streamText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { budgetMiddleware } from './budget-middleware.ts'
import { reservedOf, streamResult, textParts, textResult, usedOf } from './test/model-results.ts'

const thread = { thread: 't-1' }

function hugeBudget() {
  return createBudget({ limits: [{ scope: 'thread', tokens: 1e12 }] })
}

/** The params as the provider saw them, own symbol keys included. */
function seen(params: LanguageModelV4CallOptions) {
  return { keys: Reflect.ownKeys(params), params }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('budgetMiddleware', () => {
  describe('with room in the budget', () => {
    it('should send no maxOutputTokens when the caller set none', async () => {
      const mock = new MockLanguageModelV4({ doGenerate: textResult('Hi') })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget: hugeBudget(), context: thread }),
      })
      await generateText({ model, prompt: 'Hello' })
      expect(mock.doGenerateCalls[0]!.maxOutputTokens).toBeUndefined()
    })

    it('should send the clamped maxOutputTokens when the budget binds', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100 }] })
      const mock = new MockLanguageModelV4({ doGenerate: textResult('Hi') })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread, clamp: true }),
      })
      await generateText({ model, prompt: 'Hello' })
      expect(mock.doGenerateCalls[0]!.maxOutputTokens).toBeLessThan(100)
    })

    it('should hand the provider exactly the params it gets without the middleware, generate and stream', async () => {
      const bare = new MockLanguageModelV4({
        doGenerate: textResult('Hi'),
        doStream: async () => streamResult(textParts(['Hi'])),
      })
      const mock = new MockLanguageModelV4({
        doGenerate: textResult('Hi'),
        doStream: async () => streamResult(textParts(['Hi'])),
      })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget: hugeBudget(), context: thread }),
      })
      const call = { prompt: 'Hello', temperature: 0.3, providerOptions: { other: { a: 1 } } }
      await generateText({ model: bare, ...call })
      await generateText({ model, ...call })
      await streamText({ model: bare, ...call }).text
      await streamText({ model, ...call }).text
      expect(seen(mock.doGenerateCalls[0]!)).toStrictEqual(seen(bare.doGenerateCalls[0]!))
      expect(seen(mock.doStreamCalls[0]!)).toStrictEqual(seen(bare.doStreamCalls[0]!))
    })
  })

  describe('provider results a pass-through middleware passes through', () => {
    it('should pass a generate result without usage or content through and settle the estimate', async () => {
      const budget = hugeBudget()
      const bareResult = {
        finishReason: { unified: 'stop', raw: 'stop' },
        warnings: [],
      } as unknown as LanguageModelV4GenerateResult
      const mock = new MockLanguageModelV4({ doGenerate: async () => bareResult })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      expect(
        await model.doGenerate({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }),
      ).toBe(bareResult)
      expect(await reservedOf(budget, thread)).toBe(0)
      expect(await usedOf(budget, thread)).toBeGreaterThan(0)
    })

    it('should pass a stream result without a stream through and settle the estimate', async () => {
      const budget = hugeBudget()
      const bareResult = { request: {} } as never
      const mock = new MockLanguageModelV4({ doStream: async () => bareResult })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      expect(
        await model.doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }),
      ).toBe(bareResult)
      expect(await reservedOf(budget, thread)).toBe(0)
    })
  })

  describe('streams nobody reads', () => {
    it('should keep a stream alive while its reader waits for a slow provider', async () => {
      vi.useFakeTimers()
      const budget = hugeBudget()
      const parts = textParts(['late answer'], { input: 7, output: 3 })
      const stream = new ReadableStream({
        start(controller) {
          setTimeout(() => {
            for (const part of parts) controller.enqueue(part)
            controller.close()
          }, 30_000) // a reasoning model's first token, long after stallMs
        },
      })
      const mock = new MockLanguageModelV4({ doStream: async () => ({ stream }) })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread, stallMs: 5_000 }),
      })
      const text = streamText({ model, prompt: 'Hello' }).text
      await vi.advanceTimersByTimeAsync(31_000)
      expect(await text).toBe('late answer')
      expect(await usedOf(budget, thread)).toBe(10)
    })

    it('should settle a stream nobody reads or cancels after the stall timeout and cancel it', async () => {
      vi.useFakeTimers()
      const budget = hugeBudget()
      let cancelled = false
      let pulls = 0
      // A provider that always has more: only the reader's backpressure stops the pulls.
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        pull(controller) {
          pulls += 1
          if (pulls === 1) controller.enqueue({ type: 'stream-start', warnings: [] })
          else if (pulls === 2) controller.enqueue({ type: 'text-start', id: 't1' })
          else controller.enqueue({ type: 'text-delta', id: 't1', delta: 'more ' })
        },
        cancel() {
          cancelled = true
        },
      })
      const mock = new MockLanguageModelV4({ doStream: async () => ({ stream }) })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread, stallMs: 5_000 }),
      })
      streamText({ model, prompt: 'Hello', onError: () => {} }) // never read
      await vi.advanceTimersByTimeAsync(100)
      expect(await reservedOf(budget, thread)).toBeGreaterThan(0)
      await vi.advanceTimersByTimeAsync(10_000)
      expect(await reservedOf(budget, thread)).toBe(0)
      expect(await usedOf(budget, thread)).toBeGreaterThan(0)
      expect(cancelled).toBe(true)
    })
  })
})
