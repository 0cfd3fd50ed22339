import { describe, expect, it } from 'vitest'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { memoryStore } from '../stores/memory-store.ts'
import { TokenBudgetTracker, type TrackerStatus } from './token-budget-tracker.ts'

describe('TokenBudgetTracker', () => {
  describe('recordUsage', () => {
    it('should return used, remaining, percentage, isWarning and isExceeded', async () => {
      const tracker = new TokenBudgetTracker({ maxTokens: 1000 })
      expect(await tracker.recordUsage('a', 500)).toEqual({
        used: 500,
        remaining: 500,
        percentage: 50,
        isWarning: false,
        isExceeded: false,
      })
      expect(await tracker.recordUsage('a', { inputTokens: 250, outputTokens: 50 })).toMatchObject({
        used: 800,
        isWarning: true,
        isExceeded: false,
      })
      expect(await tracker.recordUsage('a', 300)).toMatchObject({
        used: 1100,
        remaining: 0,
        isExceeded: true,
      })
      expect((await tracker.getStatus('b')).used).toBe(0)
    })

    it('should call onWarning once per crossing', async () => {
      const calls: [string, TrackerStatus][] = []
      const tracker = new TokenBudgetTracker({
        maxTokens: 1000,
        warningThreshold: 0.5,
        onWarning: (agent, status) => calls.push([agent, status]),
      })
      await tracker.recordUsage('a', 400)
      await tracker.recordUsage('a', 200)
      await tracker.recordUsage('a', 200)
      expect(calls.map(([agent, s]) => [agent, s.used])).toEqual([['a', 600]])
    })

    it('should reject bad input naming the field', async () => {
      expect(() => new TokenBudgetTracker({ maxTokens: -5 })).toThrow(BudgetValidationError)
      expect(() => new TokenBudgetTracker({ maxTokens: 10, warningThreshold: 2 })).toThrow(/warningThreshold/)
      const tracker = new TokenBudgetTracker({ maxTokens: 10 })
      await expect(tracker.recordUsage('a', 1.5)).rejects.toMatchObject({ field: 'tokens' })
      await expect(tracker.recordUsage('', 1)).rejects.toMatchObject({ field: 'agentId' })
    })
  })

  describe('reset', () => {
    it('should start the agent over and warn again', async () => {
      let warnings = 0
      const tracker = new TokenBudgetTracker({ maxTokens: 100, onWarning: () => warnings++ })
      await tracker.recordUsage('a', 90)
      tracker.reset('a')
      expect(await tracker.getStatus('a')).toMatchObject({ used: 0, isWarning: false })
      await tracker.recordUsage('a', 85)
      expect(warnings).toBe(2)
    })
  })

  describe('formatStatus', () => {
    it('should draw the core progress bar', async () => {
      const tracker = new TokenBudgetTracker({ maxTokens: 10_000 })
      await tracker.recordUsage('a', 8200)
      expect(await tracker.formatStatus('a')).toBe('[████████░░] 82% (8,200/10,000 tokens)')
    })
  })

  describe('budget', () => {
    it('should keep the counts in the core ledger (its store), not a second one', async () => {
      const store = memoryStore()
      const tracker = new TokenBudgetTracker({ maxTokens: 1000, store })
      await tracker.recordUsage('a', 300)
      const again = new TokenBudgetTracker({ maxTokens: 1000, store })
      expect((await again.getStatus('a')).used).toBe(300)
      const [status] = await tracker.budget.status({ tracker: 'a' })
      expect(status).toMatchObject({ used: 300, limit: 1000 })
    })
  })
})
