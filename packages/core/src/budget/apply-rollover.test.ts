import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { createBudget } from './create-budget.ts'

const day = 86_400_000
const start = Date.UTC(2026, 10, 23, 12)

function clock() {
  let now = start
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

const ctx = { user: 'u-1' }

describe('rollover', () => {
  describe('status', () => {
    it('should carry what the previous period left unused, at most the cap', async () => {
      const time = clock()
      const budget = createBudget({
        limits: [{ scope: 'user', tokens: 1000, period: 'day', rollover: { max: 300 } }],
        now: time.now,
      })
      await budget.record(ctx, { inputTokens: 200, outputTokens: 0 })
      time.advance(day)
      expect((await budget.status(ctx))[0]).toMatchObject({ limit: 1300, used: 0, remaining: 1300 })
      await budget.record(ctx, { inputTokens: 900, outputTokens: 0 })
      time.advance(day)
      expect((await budget.status(ctx))[0]).toMatchObject({ limit: 1100, used: 0 })
    })

    it('should not carry a carry again (only the base limit minus usage)', async () => {
      const time = clock()
      const budget = createBudget({
        limits: [{ scope: 'user', tokens: 1000, period: 'day', rollover: { max: 5000 } }],
        now: time.now,
      })
      time.advance(day)
      expect((await budget.status(ctx))[0]!.limit).toBe(2000)
      time.advance(day)
      expect((await budget.status(ctx))[0]!.limit).toBe(2000)
    })

    it('should carry per scope value, nothing after a fully used period', async () => {
      const time = clock()
      const budget = createBudget({
        limits: [{ scope: 'user', tokens: 1000, period: 'day', rollover: { max: 500 } }],
        now: time.now,
      })
      await budget.record({ user: 'heavy' }, { inputTokens: 1000, outputTokens: 0 })
      time.advance(day)
      expect((await budget.status({ user: 'heavy' }))[0]!.limit).toBe(1000)
      expect((await budget.status({ user: 'light' }))[0]!.limit).toBe(1500)
    })
  })

  describe('reserve', () => {
    it('should enforce the raised cap', async () => {
      const time = clock()
      const budget = createBudget({
        limits: [{ scope: 'user', tokens: 1000, period: 'day', rollover: { max: 300 } }],
        now: time.now,
      })
      time.advance(day)
      const r = await budget.reserve(ctx, { inputTokens: 1200, maxOutputTokens: 100 })
      await r.settle({ inputTokens: 1200, outputTokens: 100 })
      await expect(budget.reserve(ctx, { inputTokens: 1, maxOutputTokens: 0 })).rejects.toSatisfy(
        BudgetExceededError.isInstance,
      )
    })

    it('should carry at most the cap for any usage (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 1500 }),
          fc.integer({ min: 0, max: 1200 }),
          async (used, max) => {
            const time = clock()
            const budget = createBudget({
              limits: [{ scope: 'user', tokens: 1000, period: 'day', rollover: { max } }],
              now: time.now,
            })
            if (used > 0) await budget.record(ctx, { inputTokens: used, outputTokens: 0 })
            time.advance(day)
            const [status] = await budget.status(ctx)
            expect(status!.limit - 1000).toBe(Math.min(max, Math.max(0, 1000 - used)))
          },
        ),
        { numRuns: 60 },
      )
    })
  })

  describe('validation', () => {
    it('should name the field of a bad rollover', () => {
      expect(() =>
        createBudget({ limits: [{ scope: 'user', tokens: 1000, rollover: { max: 10 } }] }),
      ).toThrow(expect.objectContaining({ field: 'limits[0].rollover' }))
      expect(() =>
        createBudget({
          limits: [{ scope: 'user', tokens: 1000, requests: 10, period: 'day', rollover: { max: 10 } }],
        }),
      ).toThrow(expect.objectContaining({ field: 'limits[0].rollover.max' }))
      expect(() =>
        createBudget({
          limits: [{ scope: 'user', tokens: 1000, period: 'day', rollover: { max: { costUsd: 1 } } }],
        }),
      ).toThrow(expect.objectContaining({ field: 'limits[0].rollover.max.costUsd' }))
      expect(() =>
        createBudget({ limits: [{ scope: 'user', tokens: 1000, period: 'day', rollover: { max: -1 } }] }),
      ).toThrow(expect.objectContaining({ field: 'limits[0].rollover.max' }))
    })
  })
})
