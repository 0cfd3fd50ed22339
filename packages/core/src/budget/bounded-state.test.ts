import { describe, expect, it } from 'vitest'
import { memoryStore } from '../stores/memory-store.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import { conversationIdleMs, maxDeliveries, WarningBoard } from '../warnings/warning-board.ts'
import { createBudget } from './create-budget.ts'

const t0 = Date.UTC(2026, 0, 1)

describe('state stays bounded as conversations come and go', () => {
  it('should keep the memory store small after many distinct threads and users (fake clock)', async () => {
    const store = memoryStore()
    const clock = { at: t0 }
    const budget = createBudget({
      limits: [
        { scope: 'global', tokens: 1e12 },
        { scope: 'thread', tokens: 100, period: 'hour' },
      ],
      store,
      now: () => clock.at,
    })
    await budget.record({ agent: 'a', thread: 'warm-up' }, { inputTokens: 0.8e12, outputTokens: 0 })
    const threads = 15_000
    for (let i = 0; i < threads; i++) {
      clock.at += 2_000 // one new thread and user every two seconds, each seen once
      const ctx = { agent: 'a', thread: `t-${i}`, user: `u-${i}` }
      await budget.record(ctx, { inputTokens: 80, outputTokens: 0 })
      // the global warning and the thread's own, each once
      expect(
        budget
          .takeWarnings(ctx)
          .map((w) => w.scope)
          .sort(),
      ).toEqual(['global', 'thread'])
      expect(budget.takeWarnings(ctx)).toEqual([])
    }
    // thread and user counters of the current hour
    const counters = await store.list({ now: clock.at })
    expect(counters.length).toBeLessThan((2 * 3_600) / 2 + 100)
    const report = await budget.report({ top: 3 })
    expect(report.top.user).toHaveLength(3)
    expect(report.totals.tokens).toBeGreaterThan(0)
  })

  it('should show the top spenders of the current track period (the longest period of the limits)', async () => {
    const clock = { at: t0 + 3_600_000 }
    const limits = [{ scope: 'agent', tokens: 1e9, period: 'day' as const }]
    const daily = createBudget({ limits, now: () => clock.at })
    const weekly = createBudget({ limits, trackPeriod: 'week', now: () => clock.at })
    for (const budget of [daily, weekly])
      await budget.record({ agent: 'a', user: 'u-1' }, { inputTokens: 5, outputTokens: 0 })
    clock.at += 86_400_000
    expect((await daily.report()).top.user ?? []).toEqual([])
    expect((await weekly.report()).top.user?.map((s) => s.id)).toEqual(['u-1'])
  })

  it('should refuse a trackPeriod that is no period, naming the field', () => {
    expect(() => createBudget({ limits: [], trackPeriod: 'fortnight' as never })).toThrow(
      expect.objectContaining({ field: 'trackPeriod' }),
    )
  })

  it('should keep tracking counters forever with trackPeriod none', async () => {
    const store = memoryStore()
    const clock = { at: t0 }
    const budget = createBudget({ limits: [], store, trackPeriod: 'none', now: () => clock.at })
    for (let i = 0; i < 100; i++) {
      clock.at += 86_400_000
      await budget.record({ user: `u-${i}` }, { inputTokens: 1, outputTokens: 0 })
    }
    expect((await budget.report({ top: 1000 })).top.user).toHaveLength(100)
  })

  it('should forget idle conversations of a warning that never ends', () => {
    const board = new WarningBoard()
    board.post('global', { id: 'w1', unit: 'tokens', threshold: 0.75 } as BudgetWarning, null)
    let now = t0
    const taken: BudgetWarning[] = []
    for (let i = 0; i < 20_000; i++) {
      now += 1_000
      board.prune(now)
      board.take('global', `t-${i}`, taken, now)
    }
    expect(taken).toHaveLength(20_000) // each conversation was shown it once
    // conversations seen in the last idle period (and up to a quarter of one before)
    expect(board.deliveryCount).toBeLessThanOrEqual((conversationIdleMs * 1.25) / 1_000)
    expect(board.size).toBe(1)
  })

  it('should remember at most maxDeliveries conversations per warning', () => {
    const board = new WarningBoard()
    board.post('global', { id: 'w1', unit: 'tokens', threshold: 0.75 } as BudgetWarning, null)
    for (let i = 0; i < maxDeliveries + 1_000; i++) board.take('global', `t-${i}`, [], t0)
    expect(board.deliveryCount).toBe(maxDeliveries)
  })

  it('should drop a thread’s warning once nobody asked for it for a while', () => {
    const board = new WarningBoard()
    let now = t0
    for (let i = 0; i < 10_000; i++) {
      now += 1_000
      board.prune(now)
      board.post(`thread:${i}`, { id: `w${i}`, unit: 'tokens', threshold: 0.75 } as BudgetWarning, null)
      board.take(`thread:${i}`, `t-${i}`, [], now)
    }
    expect(board.size).toBeLessThan(conversationIdleMs / 1_000 + conversationIdleMs / 4_000 + 2)
  })
})
