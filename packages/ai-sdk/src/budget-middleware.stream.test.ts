import { createBudget } from '@tokenwarden/core'
import { streamText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { budgetExceededFinishReason } from './budget-exceeded-result.ts'
import { budgetMiddleware } from './budget-middleware.ts'
import {
  hangingStreamResult,
  recordSettlements,
  reservedOf,
  streamResult,
  textParts,
  usedOf,
} from './test/model-results.ts'

const thread = { thread: 't-1' }

type MockOptions = NonNullable<ConstructorParameters<typeof MockLanguageModelV4>[0]>

function setup(doStream: MockOptions['doStream'], options = {}) {
  const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
  const settled = recordSettlements(budget)
  const mock = new MockLanguageModelV4({ doStream })
  const model = wrapLanguageModel({
    model: mock,
    middleware: budgetMiddleware({ budget, context: thread, ...options }),
  })
  return { budget, settled, mock, model }
}

describe('budgetMiddleware', () => {
  describe('wrapStream', () => {
    it('should settle the usage of the final finish part, cached and reasoning tokens included', async () => {
      const { budget, settled, model } = setup(
        streamResult(textParts(['Hello', ' world'], { input: 50, output: 20, cached: 30, reasoning: 5 })),
      )
      const result = streamText({ model, prompt: 'Hi' })
      expect(await result.text).toBe('Hello world')
      expect(settled).toHaveLength(1)
      expect(settled[0]).toMatchObject({
        estimated: false,
        usage: { inputTokens: 50, outputTokens: 20, cachedInputTokens: 30, reasoningTokens: 5, tokens: 70 },
      })
      expect(await reservedOf(budget, thread)).toBe(0)
      expect(await usedOf(budget, thread)).toBe(70)
    })

    it('should settle a finish part with negative usage from the estimate and report it', async () => {
      const parts = textParts(['Hello', ' world'], { input: 50, output: 20 })
      const finish = parts.at(-1) as Extract<(typeof parts)[number], { type: 'finish' }>
      finish.usage = {
        inputTokens: { total: 50, noCache: 50, cacheRead: undefined, cacheWrite: undefined },
        outputTokens: { total: -20, text: -20, reasoning: undefined },
      }
      const { budget, settled, model } = setup(streamResult(parts))
      const rejected: string[][] = []
      budget.on('usageRejected', (event) => rejected.push([...event.fields]))
      const result = streamText({ model, prompt: 'Hi' })
      expect(await result.text).toBe('Hello world')
      expect(settled).toHaveLength(1)
      expect(settled[0]).toMatchObject({ estimated: true, usage: { inputTokens: 50, estimatedRequests: 1 } })
      expect(settled[0]!.usage.outputTokens).toBeGreaterThan(0)
      expect(rejected).toEqual([['outputTokens']])
      expect(await reservedOf(budget, thread)).toBe(0)
    })

    it('should show a crossed warning in the next streamed call only', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      let calls = 0
      const mock = new MockLanguageModelV4({
        doStream: async () =>
          streamResult(textParts(['ok'], ++calls === 1 ? { input: 700, output: 100 } : undefined)),
      })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      for (const prompt of ['1', '2', '3']) await streamText({ model, prompt, maxOutputTokens: 20 }).text
      const shown = mock.doStreamCalls.map(
        (call) => call.prompt.filter((message) => message.role === 'system').length,
      )
      expect(shown).toEqual([0, 1, 0])
    })

    it('should settle an estimate from the deltas when a stream errors mid-way, holding nothing', async () => {
      const { budget, settled, model } = setup(
        streamResult(
          textParts(['a'.repeat(40), 'b'.repeat(40)], null).slice(0, -1),
          new Error('connection reset'),
        ),
      )
      const result = streamText({ model, prompt: 'Hi', maxRetries: 0 })
      let text = ''
      await expect(
        (async () => {
          for await (const part of result.fullStream) if (part.type === 'text-delta') text += part.text
        })(),
      ).rejects.toThrow('connection reset')
      expect(text).toBe('a'.repeat(40) + 'b'.repeat(40))
      expect(settled).toHaveLength(1)
      expect(settled[0]).toMatchObject({ estimated: true, usage: { outputTokens: 20, estimatedRequests: 1 } })
      expect(await reservedOf(budget, thread)).toBe(0)
    })

    it('should settle an estimate when a stream ends without a finish part', async () => {
      const { budget, settled, model } = setup(streamResult(textParts(['abcd'.repeat(10)], null)))
      await streamText({ model, prompt: 'Hi' }).consumeStream()
      expect(settled).toMatchObject([{ estimated: true, usage: { outputTokens: 10 } }])
      expect(await reservedOf(budget, thread)).toBe(0)
    })

    it('should settle what was produced when the caller aborts, and the model stream stops', async () => {
      let cancelled!: Promise<void>
      const { budget, settled, model } = setup(async ({ abortSignal }) => {
        const hanging = hangingStreamResult(textParts(['abcd'.repeat(20)], null).slice(0, 3), abortSignal)
        cancelled = hanging.cancelled
        return hanging.result
      })
      const controller = new AbortController()
      const result = streamText({ model, prompt: 'Hi', abortSignal: controller.signal })
      for await (const delta of result.textStream) {
        expect(delta).toBe('abcd'.repeat(20))
        controller.abort()
      }
      await cancelled
      await expect.poll(() => settled.length).toBe(1)
      expect(settled[0]).toMatchObject({ estimated: true, usage: { outputTokens: 20 } })
      expect(await reservedOf(budget, thread)).toBe(0)
      expect(await usedOf(budget, thread)).toBeGreaterThan(20)
    })

    it('should settle what was produced when the reader cancels the stream', async () => {
      let cancelled!: Promise<void>
      const { budget, settled, model } = setup(async () => {
        const hanging = hangingStreamResult(textParts(['abcd'.repeat(20)], null).slice(0, 3))
        cancelled = hanging.cancelled
        return hanging.result
      })
      const middlewareStream = await model.doStream({
        prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      })
      const reader = middlewareStream.stream.getReader()
      while ((await reader.read()).value?.type !== 'text-delta') {}
      expect(await reservedOf(budget, thread)).toBeGreaterThan(0)
      await reader.cancel()
      await cancelled
      expect(settled).toMatchObject([{ estimated: true, usage: { outputTokens: 20 } }])
      expect(await reservedOf(budget, thread)).toBe(0)
    })

    it('should release the reservation when the stream cannot start', async () => {
      const { budget, settled, model } = setup(async () => {
        throw new Error('503')
      })
      const errors: unknown[] = []
      const result = streamText({
        model,
        prompt: 'Hi',
        maxRetries: 0,
        onError: ({ error }) => errors.push(error),
      })
      await result.consumeStream()
      expect(errors).toEqual([expect.objectContaining({ message: '503' })])
      expect(settled).toHaveLength(0)
      expect(await reservedOf(budget, thread)).toBe(0)
      expect(await usedOf(budget, thread)).toBe(0)
    })

    it('should stop a stream gracefully when its output passes the reservation, with stopStreamsAtReservation', async () => {
      let cancelled!: Promise<void>
      const { budget, settled, model } = setup(
        async () => {
          const parts = textParts(
            Array.from({ length: 50 }, () => 'word '),
            null,
          ).slice(0, -1)
          const hanging = hangingStreamResult(parts)
          cancelled = hanging.cancelled
          return hanging.result
        },
        { stopStreamsAtReservation: true },
      )
      const result = streamText({ model, prompt: 'Hi', maxOutputTokens: 10 })
      const text = await result.text
      expect(text.length).toBeGreaterThan(0)
      expect(text.length).toBeLessThan(50 * 5)
      expect(await result.finishReason).toBe('length')
      expect(await result.rawFinishReason).toBe(budgetExceededFinishReason)
      await cancelled
      expect(settled).toHaveLength(1)
      expect(settled[0]!.estimated).toBe(true)
      expect(settled[0]!.usage.outputTokens).toBeGreaterThan(10)
      expect(settled[0]!.usage.outputTokens).toBeLessThanOrEqual(12)
      expect(await reservedOf(budget, thread)).toBe(0)
    })

    it("should stream the explanatory text without calling the model with onExceeded: 'finish'", async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100 }] })
      const mock = new MockLanguageModelV4({ doStream: streamResult(textParts(['never'])) })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread, onExceeded: 'finish' }),
      })
      const result = streamText({ model, prompt: 'Hi', maxOutputTokens: 500 })
      expect(await result.text).toMatch(/budget exceeded: thread "t-1"/)
      expect(await result.rawFinishReason).toBe(budgetExceededFinishReason)
      expect(mock.doStreamCalls).toHaveLength(0)
    })

    it('should surface the refusal as an error part by default, without calling the model', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100 }] })
      const mock = new MockLanguageModelV4({ doStream: streamResult(textParts(['never'])) })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      const errors: unknown[] = []
      const result = streamText({
        model,
        prompt: 'Hi',
        maxOutputTokens: 500,
        onError: ({ error }) => errors.push(error),
      })
      await result.consumeStream()
      expect(errors).toEqual([expect.objectContaining({ name: 'BudgetExceededError', scope: 'thread' })])
      expect(mock.doStreamCalls).toHaveLength(0)
    })
  })
})
