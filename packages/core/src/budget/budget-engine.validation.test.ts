import { describe, expect, it } from 'vitest'
import { sanitizeUsage } from '../adapter/index.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { InvalidPriceError } from '../errors/invalid-price-error.ts'
import type { BudgetEvents } from '../events/budget-events.ts'
import type { PriceSource } from '../prices/price-source.ts'
import type { Budget } from './budget.ts'
import { createBudget } from './create-budget.ts'

const context = { thread: 't' }

async function rejection(run: () => unknown): Promise<unknown> {
  try {
    await run()
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

async function reservedTokens(budget: Budget): Promise<number> {
  const [status] = await budget.status(context)
  return status!.reserved
}

async function usedTokens(budget: Budget): Promise<number> {
  const [status] = await budget.status(context)
  return status!.used
}

/** An object whose getters return `first` on the first read and `then` afterwards, counting reads. */
function shifty<T extends Record<string, [unknown, unknown]>>(fields: T) {
  const reads: Record<string, number> = {}
  const target: Record<string, unknown> = {}
  for (const [key, [first, then]] of Object.entries(fields)) {
    reads[key] = 0
    Object.defineProperty(target, key, {
      enumerable: true,
      get: () => (++reads[key]! === 1 ? first : then),
    })
  }
  return { value: target as { [K in keyof T]: never }, reads }
}

function priced(cost: (model: string) => unknown): PriceSource {
  return { cost: (model) => cost(model) as number }
}

describe('createBudget input validation', () => {
  describe('prices', () => {
    it.each([
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['a negative price', -0.5],
      ['a string', '0.01'],
    ])('should refuse a reservation when the price source returns %s, naming the model', async (_, value) => {
      const budget = createBudget({
        limits: [{ scope: 'thread', costUsd: 1, tokens: 1000 }],
        prices: priced(() => value),
      })
      const error = await rejection(() => budget.reserve(context, { model: 'gpt-4o', inputTokens: 10 }))
      expect(InvalidPriceError.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ code: 'invalid_price', model: 'gpt-4o', field: 'prices.cost()', value })
      expect(await reservedTokens(budget)).toBe(0)
    })

    it('should reject a settle priced negative instead of crediting the budget', async () => {
      let cost = 0.001
      const budget = createBudget({
        limits: [{ scope: 'thread', costUsd: 1 }],
        prices: priced(() => cost),
      })
      const reservation = await budget.reserve(context, { model: 'm', inputTokens: 10, maxOutputTokens: 10 })
      cost = -100
      const error = await rejection(() => reservation.settle({ inputTokens: 10, outputTokens: 10 }))
      expect(error).toMatchObject({ code: 'invalid_price', model: 'm', value: -100 })
      const [status] = await budget.status(context)
      expect(status!.used).toBe(0)
      expect(status!.reserved).toBeCloseTo(0.001) // still held: never admitted on a bad price
    })

    it('should still count the tokens of a badly priced call when no USD limit applies, reporting the error', async () => {
      const budget = createBudget({
        limits: [{ scope: 'thread', tokens: 1000 }],
        prices: priced(() => Number.NaN),
      })
      const errors: BudgetEvents['handlerError'][] = []
      budget.on('handlerError', (event) => errors.push(event))
      const reservation = await budget.reserve(context, { model: 'm', inputTokens: 10, maxOutputTokens: 10 })
      const { usage } = await reservation.settle({ inputTokens: 10, outputTokens: 5 })
      expect(usage).toMatchObject({ tokens: 15, costUsd: 0, unpricedRequests: 1 })
      expect(await usedTokens(budget)).toBe(15)
      expect(errors).toEqual([
        { event: 'prices.cost', error: expect.objectContaining({ code: 'invalid_price' }) },
      ])
    })

    it('should check the price the affordability and clamp read', async () => {
      const budget = createBudget({
        limits: [{ scope: 'thread', costUsd: 1 }],
        prices: priced(() => Number.NaN),
      })
      const error = await rejection(() =>
        budget.affordableOutputTokens(context, { model: 'm', inputTokens: 1 }),
      )
      expect(InvalidPriceError.isInstance(error)).toBe(true)
      expect(() => budget.cost('m', { inputTokens: 1, outputTokens: 1 })).toThrow(/prices\.cost\(\)/)
    })

    it('should read each per-model price once, so a price cannot change after validation', async () => {
      const { value: price, reads } = shifty({ inputPerMillion: [1, -1_000_000], outputPerMillion: [1, 1] })
      const budget = createBudget({
        limits: [{ scope: 'thread', costUsd: 1 }],
        prices: { models: { m: price } },
      })
      await budget.record(context, { model: 'm', inputTokens: 1_000_000, outputTokens: 0 })
      expect(await usedTokens(budget)).toBe(1)
      expect(reads.inputPerMillion).toBe(1)
    })
  })

  describe('clock', () => {
    it.each([
      ['NaN', Number.NaN],
      ['a string', '1700000000000'],
      ['Infinity', Number.POSITIVE_INFINITY],
    ])('should refuse to compute a period from a clock returning %s', async (_, value) => {
      const budget = createBudget({
        limits: [{ scope: 'thread', tokens: 100, period: 'day' }],
        now: () => value as number,
      })
      const error = await rejection(() => budget.reserve(context, { inputTokens: 1, maxOutputTokens: 1 }))
      expect(BudgetValidationError.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ field: 'now()', value })
    })
  })

  describe('estimator', () => {
    it.each([
      ['NaN', Number.NaN],
      ['a negative count', -5],
      ['a fraction', 2.5],
      ['a string', '3'],
    ])('should refuse an estimator count of %s', (_, value) => {
      const budget = createBudget({ limits: [], estimator: { count: () => value as number } })
      expect(() => budget.estimator.count('hello')).toThrow(
        expect.objectContaining({ field: 'estimator.count()', value }),
      )
    })

    it('should pass a valid count through', () => {
      const budget = createBudget({
        limits: [],
        estimator: Object.freeze({ count: (text: string) => text.length }),
      })
      expect(budget.estimator.count('hello')).toBe(5)
    })
  })

  describe('read once', () => {
    it('should read each request field once, so a reservation cannot turn into NaN', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const { value: request, reads } = shifty({
        model: ['m', 42],
        inputTokens: [100, Number.NaN],
        maxOutputTokens: [50, -1_000_000],
        leaseMs: [60_000, Number.NaN],
        clamp: [false, 'yes'],
      })
      const reservation = await budget.reserve(context, request)
      expect(reservation.amount.tokens).toBe(150)
      expect(reservation.maxOutputTokens).toBe(50)
      expect(reservation.model).toBe('m')
      expect(await reservedTokens(budget)).toBe(150)
      expect(reads).toEqual({ model: 1, inputTokens: 1, maxOutputTokens: 1, leaseMs: 1, clamp: 1 })
    })

    it('should read each usage field once, so a settle cannot turn into a credit', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const reservation = await budget.reserve(context, { inputTokens: 100, maxOutputTokens: 50 })
      const { value: usage, reads } = shifty({
        inputTokens: [100, -1_000_000],
        outputTokens: [10, Number.NaN],
        cachedInputTokens: [40, 1_000_000],
        reasoningTokens: [5, -5],
      })
      const result = await reservation.settle(usage)
      expect(result.usage).toMatchObject({ tokens: 110, cachedInputTokens: 40, reasoningTokens: 5 })
      expect(await usedTokens(budget)).toBe(110)
      expect(reads).toEqual({ inputTokens: 1, outputTokens: 1, cachedInputTokens: 1, reasoningTokens: 1 })
    })

    it('should count what was validated even when the price source mutates the usage it is given', async () => {
      const budget = createBudget({
        limits: [{ scope: 'thread', tokens: 1000 }],
        prices: {
          cost: (_, usage) => {
            ;(usage as { inputTokens: number }).inputTokens = -1_000_000
            return 0.01
          },
        },
      })
      const usage = { inputTokens: 100, outputTokens: 10 }
      await budget.record(context, { model: 'm', ...usage })
      expect(await usedTokens(budget)).toBe(110)
    })

    it('should read a recorded usage and its model once', async () => {
      const budget = createBudget({ limits: [{ scope: 'model', tokens: 1000 }] })
      const { value: usage, reads } = shifty({
        model: ['gpt-4o', 'other'],
        inputTokens: [7, -7],
        outputTokens: [3, -3],
      })
      await budget.record(context, usage)
      const [status] = await budget.status(context, { model: 'gpt-4o' })
      expect(status!.used).toBe(10)
      expect(reads).toEqual({ model: 1, inputTokens: 1, outputTokens: 1 })
    })

    it('should read a limit’s fields once, so a limit cannot validate as one scope and apply as another', async () => {
      const { value: limit, reads } = shifty({ scope: ['thread', 'elsewhere'], tokens: [10, 1e9] })
      const budget = createBudget({ limits: [limit] })
      await expect(budget.reserve(context, { inputTokens: 100, maxOutputTokens: 0 })).rejects.toMatchObject({
        code: 'budget_exceeded',
      })
      expect(reads).toEqual({ scope: 1, tokens: 1 })
    })

    it('should read each option once', () => {
      const { value: options, reads } = shifty({
        limits: [[], undefined],
        mode: ['warn', 'nonsense'],
        thresholds: [[0.5], 'nonsense'],
      })
      expect(createBudget(options).mode).toBe('warn')
      expect(reads).toEqual({ limits: 1, mode: 1, thresholds: 1 })
    })
  })

  describe('safe integers', () => {
    it('should refuse token counts above 2^53 − 1 where whole numbers are meant', async () => {
      expect(() => createBudget({ limits: [{ scope: 'thread', tokens: 2 ** 53 }] })).toThrow(
        expect.objectContaining({ field: 'limits[0].tokens' }),
      )
      expect(() => createBudget({ limits: [], defaultMaxOutputTokens: 2 ** 60 })).toThrow(
        expect.objectContaining({ field: 'defaultMaxOutputTokens' }),
      )
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      await expect(budget.reserve(context, { inputTokens: 2 ** 53 })).rejects.toMatchObject({
        field: 'request.inputTokens',
      })
      await expect(
        budget.reserve(context, { inputTokens: 2 ** 52, maxOutputTokens: 2 ** 52 }),
      ).rejects.toMatchObject({ field: 'request.maxOutputTokens' })
      await expect(
        budget.record(context, { inputTokens: 1, outputTokens: 2 ** 53 + 2 }),
      ).rejects.toMatchObject({
        field: 'usage.outputTokens',
      })
    })
  })

  describe('usage parts', () => {
    it('should refuse cached + cache-write input above the input as a sum', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const error = await rejection(() =>
        budget.record(context, {
          inputTokens: 100,
          outputTokens: 0,
          cachedInputTokens: 60,
          cacheWriteInputTokens: 60,
        }),
      )
      expect(error).toMatchObject({ field: 'usage.cacheWriteInputTokens', value: 60 })
      expect(await usedTokens(budget)).toBe(0)
    })

    it('should settle a sanitized provider usage from the estimate and report the rejected fields', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const rejected: BudgetEvents['usageRejected'][] = []
      const settled: BudgetEvents['settled'][] = []
      budget.on('usageRejected', (event) => rejected.push(event))
      budget.on('settled', (event) => settled.push(event))
      const reservation = await budget.reserve(context, { model: 'm', inputTokens: 100, maxOutputTokens: 50 })
      await reservation.settle(
        sanitizeUsage(
          { inputTokens: Number.NaN, outputTokens: 20 },
          { estimate: { inputTokens: 100, outputTokens: 0 } },
        ),
      )
      expect(await usedTokens(budget)).toBe(120)
      expect(settled[0]).toMatchObject({ estimated: true, usage: { estimatedRequests: 1 } })
      expect(rejected).toEqual([
        { reservationId: reservation.id, context, model: 'm', fields: ['inputTokens'] },
      ])
    })
  })
})
