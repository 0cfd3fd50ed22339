import { describe, expect, it } from 'vitest'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { resolveCompressionOptions } from './compression-options.ts'

function fieldOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    return BudgetValidationError.isInstance(error) ? error.field : 'not a validation error'
  }
  return undefined
}

describe('resolveCompressionOptions', () => {
  describe('defaults', () => {
    it('should seed 70% moderate and 90% aggressive levels', () => {
      const { levels, keepLatestTurns } = resolveCompressionOptions(true, 'compression')
      expect(levels.map((level) => [level.name, level.atUsage])).toEqual([
        ['moderate', 0.7],
        ['aggressive', 0.9],
      ])
      expect(keepLatestTurns).toBe(2)
    })
  })

  describe('validation', () => {
    it('should name the bad field', () => {
      const cases: [unknown, string][] = [
        ['yes', 'compression'],
        [{ levels: [] }, 'compression.levels'],
        [{ levels: [{ atUsage: 1.5, targetRatio: 0.5 }] }, 'compression.levels[0].atUsage'],
        [{ levels: [{ atUsage: 0.5 }] }, 'compression.levels[0].targetRatio'],
        [{ levels: [{ atUsage: 0.5, targetTokens: 0 }] }, 'compression.levels[0].targetTokens'],
        [
          { levels: [{ atUsage: 0.5, targetRatio: 0.5, strategies: ['shrink'] }] },
          'compression.levels[0].strategies[0]',
        ],
        [{ keepLatestTurns: -1 }, 'compression.keepLatestTurns'],
        [{ summaryMaxTokens: 0 }, 'compression.summaryMaxTokens'],
      ]
      for (const [options, field] of cases) {
        expect(fieldOf(() => resolveCompressionOptions(options as never, 'compression'))).toBe(field)
      }
    })
  })
})
