import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { heuristicEstimator } from '../estimation/estimate-tokens.ts'
import { truncateToTokens, truncationMarker } from './truncate-to-tokens.ts'

describe('truncateToTokens', () => {
  describe('fitting', () => {
    it('should keep a text that fits unchanged', () => {
      expect(truncateToTokens('short', 10, heuristicEstimator)).toBe('short')
    })

    it('should keep the beginning and add the marker within the limit', () => {
      const text = 'word '.repeat(1000)
      const truncated = truncateToTokens(text, 100, heuristicEstimator)
      expect(truncated.endsWith(truncationMarker)).toBe(true)
      expect(text.startsWith(truncated.slice(0, -truncationMarker.length))).toBe(true)
      expect(heuristicEstimator.count(truncated)).toBeLessThanOrEqual(100)
      expect(heuristicEstimator.count(truncated)).toBeGreaterThan(95)
    })

    it('should never exceed the limit for any text', () => {
      fc.assert(
        fc.property(
          fc.string({ unit: 'grapheme', maxLength: 400 }),
          fc.integer({ min: 15, max: 200 }),
          (text, max) => {
            expect(
              heuristicEstimator.count(truncateToTokens(text, max, heuristicEstimator)),
            ).toBeLessThanOrEqual(max)
          },
        ),
      )
    })
  })
})
