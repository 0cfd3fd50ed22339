import { describe, expect, it } from 'vitest'
import { resolveCompressionOptions } from './compression-options.ts'
import { type PlanMessage, planCompression } from './plan-compression.ts'

const seed = resolveCompressionOptions(true, 'compression')

function sizeOf(messages: PlanMessage[], plan: NonNullable<ReturnType<typeof planCompression>>) {
  return messages.reduce((total, message, index) => {
    const action = plan.actions[index]!
    if (action.type === 'keep') return total + message.tokens
    if (action.type === 'truncate') return total + action.toTokens
    return total
  }, 0)
}

const conversation: PlanMessage[] = [
  { role: 'system', tokens: 100 },
  { role: 'user', tokens: 50 },
  { role: 'assistant', tokens: 20 },
  { role: 'tool', tokens: 2000 },
  { role: 'user', tokens: 5, lowSignal: true },
  { role: 'assistant', tokens: 20 },
  { role: 'tool', tokens: 1000 },
  { role: 'assistant', tokens: 30 },
  { role: 'user', tokens: 40 },
]

describe('planCompression', () => {
  describe('levels', () => {
    it('should plan nothing below the first level or when the request already fits', () => {
      expect(planCompression({ options: seed, usage: 0.69, messages: conversation })).toBeUndefined()
      const small = resolveCompressionOptions({ levels: [{ atUsage: 0.5, targetTokens: 10_000 }] }, 'c')
      expect(planCompression({ options: small, usage: 0.9, messages: conversation })).toBeUndefined()
    })

    it('should use the moderate target at 70% and the aggressive one at 90%', () => {
      const moderate = planCompression({ options: seed, usage: 0.7, messages: conversation })!
      const aggressive = planCompression({ options: seed, usage: 0.95, messages: conversation })!
      expect(moderate.level).toBe('moderate')
      expect(moderate.targetTokens).toBe(Math.floor(3265 * 0.6))
      expect(aggressive.level).toBe('aggressive')
      expect(aggressive.targetTokens).toBe(Math.floor(3265 * 0.3))
    })
  })

  describe('strategies', () => {
    it('should drop low-signal turns, then truncate the longest tool results to fit the target', () => {
      const plan = planCompression({ options: seed, usage: 0.75, messages: conversation })!
      expect(plan.fits).toBe(true)
      expect(plan.actions[4]).toEqual({ type: 'drop', reason: 'low-signal' })
      expect(plan.actions[3]).toMatchObject({ type: 'truncate' })
      expect(plan.plannedTokens).toBeLessThanOrEqual(plan.targetTokens)
      expect(sizeOf(conversation, plan)).toBe(plan.plannedTokens)
      expect(plan.applied).toEqual(['drop-low-signal', 'truncate-tool-results'])
    })

    it('should never touch system messages, the latest turns or the latest user message', () => {
      for (const usage of [0.7, 0.9]) {
        for (const canSummarize of [false, true]) {
          const plan = planCompression({ options: seed, usage, messages: conversation, canSummarize })!
          expect(plan.actions[0]).toEqual({ type: 'keep' })
          expect(plan.actions[7]).toEqual({ type: 'keep' })
          expect(plan.actions[8]).toEqual({ type: 'keep' })
        }
      }
    })

    it('should summarize the oldest turns together with their tool results when a summarizer exists', () => {
      const options = resolveCompressionOptions(
        { levels: [{ atUsage: 0.9, targetRatio: 0.3, strategies: ['summarize', 'drop-oldest'] }] },
        'c',
      )
      const plan = planCompression({ options, usage: 0.95, messages: conversation, canSummarize: true })!
      expect(plan.summarized).toEqual([1, 2, 3, 4, 5, 6])
      expect(plan.applied).toContain('summarize')
      expect(plan.fits).toBe(true)
      expect(plan.plannedTokens).toBe(100 + 30 + 40 + 256 + 4)
    })

    it('should drop the oldest turns instead when no summarizer exists', () => {
      const options = resolveCompressionOptions(
        { levels: [{ atUsage: 0.9, targetRatio: 0.3, strategies: ['summarize', 'drop-oldest'] }] },
        'c',
      )
      const plan = planCompression({ options, usage: 0.95, messages: conversation })!
      expect(plan.summarized).toEqual([])
      expect(plan.applied).toEqual(['drop-oldest'])
      expect(plan.actions[1]).toEqual({ type: 'drop', reason: 'oldest' })
      expect(plan.plannedTokens).toBeLessThanOrEqual(plan.targetTokens)
    })

    it('should truncate before summarizing with the seed levels, so a summary is only made when needed', () => {
      const plan = planCompression({
        options: seed,
        usage: 0.95,
        messages: conversation,
        canSummarize: true,
      })!
      expect(plan.applied).toEqual(['drop-low-signal', 'truncate-tool-results'])
      expect(plan.summarized).toEqual([])
      expect(plan.fits).toBe(true)
    })

    it('should report a plan that cannot fit when only protected messages remain', () => {
      const messages: PlanMessage[] = [
        { role: 'system', tokens: 900 },
        { role: 'user', tokens: 100 },
      ]
      const plan = planCompression({ options: seed, usage: 0.95, messages })!
      expect(plan.fits).toBe(false)
      expect(plan.actions.every((action) => action.type === 'keep')).toBe(true)
    })

    it('should not truncate a tool result below minToolResultTokens', () => {
      const options = resolveCompressionOptions(
        {
          levels: [{ atUsage: 0.5, targetTokens: 10, strategies: ['truncate-tool-results'] }],
          keepLatestTurns: 1,
        },
        'c',
      )
      const plan = planCompression({ options, usage: 0.6, messages: conversation })!
      expect(plan.actions[3]).toEqual({ type: 'truncate', toTokens: 64 })
      expect(plan.actions[6]).toEqual({ type: 'truncate', toTokens: 64 })
      expect(plan.fits).toBe(false)
    })
  })
})
