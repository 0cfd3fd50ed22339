import { describe, expect, it } from 'vitest'
import { decodeCounterKey } from '../stores/counter-key.ts'
import { memoryStore } from '../stores/memory-store.ts'
import { createBudget } from './create-budget.ts'
import { historyBucketMs, historyCounterPrefix } from './history-charges.ts'

const midnight = Date.UTC(2026, 0, 5)
const hour = 3_600_000

describe('usage history of calendar limits', () => {
  it('should record settled usage per hour of a daily limit, beside the limit counter', async () => {
    let now = midnight + 2 * hour + 60_000
    const store = memoryStore()
    const budget = createBudget({
      limits: [
        { scope: 'agent', tokens: 10_000, period: 'day', history: true },
        { scope: 'thread', tokens: 5_000 },
      ],
      store,
      now: () => now,
    })
    const call = async (tokens: number) => {
      const reservation = await budget.reserve(
        { agent: 'a', thread: 't' },
        { inputTokens: 10, maxOutputTokens: 10 },
      )
      await reservation.settle({ inputTokens: tokens, outputTokens: 0 })
    }
    await call(100)
    await call(50)
    now = midnight + 5 * hour + 1
    await call(300)

    const history = (await store.list({ now }))
      .map((state) => ({ parts: decodeCounterKey(state.key)!, tokens: state.used.tokens }))
      .filter(({ parts }) => parts.name.startsWith(historyCounterPrefix))
      .map(({ parts, tokens }) => [parts.name, parts.scopeId, parts.periodStart, tokens])
    expect(history).toEqual([
      ['@history:agent/day', 'a', midnight + 2 * hour, 150],
      ['@history:agent/day', 'a', midnight + 5 * hour, 300],
    ])
    const [agent] = await budget.status({ agent: 'a' })
    expect(agent!.used).toBe(450)
    // The report ignores history counters: totals and limits are unchanged.
    const report = await budget.report()
    expect(report.totals.tokens).toBe(450)
    expect(report.limits.map((status) => status.limitName).sort()).toEqual(['agent/day', 'thread/none'])
  })

  it('should keep history by default only for global and per-id limits, and as each limit says', async () => {
    const now = midnight + hour
    const store = memoryStore()
    const budget = createBudget({
      limits: [
        { scope: 'thread', tokens: 10_000, period: 'day' },
        { scope: 'user', tokens: 10_000, period: 'day', history: true },
        { scope: 'agent', tokens: 10_000, period: 'day' },
        { scope: 'model', tokens: 10_000, period: 'day', history: false },
        { scope: 'agent', id: 'boss', costUsd: 5, period: 'day' },
        { scope: 'global', requests: 100, period: 'day' },
      ],
      unknownPrice: 'ignore',
      store,
      now: () => now,
    })
    const reservation = await budget.reserve(
      { agent: 'boss', thread: 't', user: 'u' },
      { model: 'm', inputTokens: 10, maxOutputTokens: 10 },
    )
    await reservation.settle({ inputTokens: 10, outputTokens: 0 })
    const recorded = (await store.list({ now }))
      .map((state) => decodeCounterKey(state.key)!.name)
      .filter((name) => name.startsWith(historyCounterPrefix))
      .sort()
    expect(recorded).toEqual(['@history:agent:boss/day', '@history:global/day', '@history:user/day'])
    expect(() => createBudget({ limits: [{ scope: 'global', tokens: 1, history: 'yes' as never }] })).toThrow(
      expect.objectContaining({ field: 'limits[0].history' }),
    )
  })

  it('should give each calendar period a bucket length and others none', () => {
    expect(['hour', 'day', 'week', 'month', 'none', 'rolling:3600000:10'].map(historyBucketMs)).toEqual([
      300_000, 3_600_000, 21_600_000, 86_400_000, 0, 0,
    ])
  })
})
