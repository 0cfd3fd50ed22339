import { describe, expect, it } from 'vitest'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import type { LimitStatus } from '../reports/limit-status.ts'
import { chooseDowngrade, validateDowngradeLevels } from './downgrade-options.ts'
import { isLowSignalText } from './is-low-signal-text.ts'
import { usageLevel } from './usage-level.ts'

function status(used: number, limit: number): LimitStatus {
  return {
    limitName: 'l',
    scope: 'thread',
    scopeId: 't',
    unit: 'tokens',
    limit,
    granted: 0,
    used,
    reserved: 0,
    remaining: limit - used,
    percentUsed: (used / limit) * 100,
    period: 'never',
    periodDescription: 'never',
    periodStart: 0,
    resetsAt: null,
  }
}

describe('policies', () => {
  describe('usageLevel', () => {
    it('should take the highest share used among the limits', () => {
      expect(usageLevel([])).toBe(0)
      expect(usageLevel([status(500, 1000), status(90, 100)])).toBe(0.9)
    })
  })

  describe('chooseDowngrade', () => {
    it('should pick the model of the highest level reached', () => {
      const levels = validateDowngradeLevels(
        [
          { atUsage: 0.95, model: 'nano' },
          { atUsage: 0.8, model: 'mini' },
        ],
        'downgrade',
        (model) => typeof model === 'string',
      )
      expect(chooseDowngrade(levels, 0.79)).toBeUndefined()
      expect(chooseDowngrade(levels, 0.8)?.model).toBe('mini')
      expect(chooseDowngrade(levels, 0.99)?.model).toBe('nano')
      expect(chooseDowngrade(undefined, 1)).toBeUndefined()
    })

    it('should name a bad level in a BudgetValidationError', () => {
      try {
        validateDowngradeLevels(
          [{ atUsage: 0.9, model: 3 }],
          'downgrade',
          (model) => typeof model === 'string',
        )
        expect.unreachable()
      } catch (error) {
        expect(BudgetValidationError.isInstance(error) && error.field).toBe('downgrade[0].model')
      }
    })
  })

  describe('isLowSignalText', () => {
    it('should flag acknowledgements and empty text only', () => {
      for (const text of ['', '  ', 'ok', 'Thanks!', 'got it.', '👍'])
        expect(isLowSignalText(text), text).toBe(true)
      for (const text of ['ok, use 2024', 'No. Use the Q3 figures instead.'])
        expect(isLowSignalText(text), text).toBe(false)
    })
  })
})
