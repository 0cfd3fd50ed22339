import { describe, expect, it } from 'vitest'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { resolveSchedulerOptions } from './resolve-scheduler-options.ts'

describe('resolveSchedulerOptions', () => {
  describe('defaults', () => {
    it('should fill in a 90/10 split, an 80 % warning, 8000-token windows and a 4000-token reserve', () => {
      const resolved = resolveSchedulerOptions({ totalTokens: 10_000 })
      expect(resolved).toMatchObject({
        totalTokens: 10_000,
        lookupRatio: 0.9,
        warnThreshold: 0.8,
        criticalReserveTokens: 4000,
        defaultWindowTokens: 8000,
      })
      expect(resolved.reasoningRatio).toBeCloseTo(0.1)
    })
  })

  describe('validation', () => {
    it('should accept a lookup share of 0 but not a warn threshold of 0', () => {
      expect(resolveSchedulerOptions({ totalTokens: 1, lookupRatio: 0 }).reasoningRatio).toBe(1)
      expect(() => resolveSchedulerOptions({ totalTokens: 1, warnThreshold: 0 })).toThrow(/warnThreshold/)
    })

    it.each([
      [null, 'options'],
      [{ totalTokens: 1.5 }, 'totalTokens'],
      [{ totalTokens: 1, lookupRatio: 1.5 }, 'lookupRatio'],
      [{ totalTokens: 1, warnThreshold: 2 }, 'warnThreshold'],
      [{ totalTokens: 1, criticalReserveTokens: -1 }, 'criticalReserveTokens'],
      [{ totalTokens: 1, defaultWindowTokens: Number.NaN }, 'defaultWindowTokens'],
    ])('should reject %j naming %s', (options, field) => {
      let error: unknown
      try {
        resolveSchedulerOptions(options as never)
      } catch (e) {
        error = e
      }
      expect(BudgetValidationError.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ field })
    })
  })
})
