import { describe, expect, it } from 'vitest'
import { createBudget } from '../budget/create-budget.ts'
import { memoryStore } from '../stores/memory-store.ts'

const midMonth = Date.UTC(2026, 11, 2, 0, 30) // 2 December: the month began yesterday, the day today

describe('report top spenders and totals', () => {
  it('should show what a monthly budget tracked when read by a budget without limits (the CLI without a config)', async () => {
    const store = memoryStore()
    const writer = createBudget({
      limits: [{ scope: 'global', tokens: 1_000_000, period: 'month' }],
      store,
      now: () => midMonth,
    })
    const reservation = await writer.reserve(
      { agent: 'researcher' },
      { inputTokens: 100, maxOutputTokens: 50 },
    )
    await reservation.settle({ inputTokens: 100, outputTokens: 50 })

    const reader = createBudget({ limits: [], store, mode: 'dry-run', now: () => midMonth + 3_600_000 })
    const report = await reader.report()
    expect(report.totals.tokens).toBe(150)
    expect(report.top.agent?.map((spender) => [spender.id, spender.usage.tokens])).toEqual([
      ['researcher', 150],
    ])
  })

  it('should read the latest tracked period, not a later one nor an earlier one', async () => {
    const store = memoryStore()
    let now = Date.UTC(2026, 10, 20)
    const writer = createBudget({ limits: [], store, trackPeriod: 'day', now: () => now })
    const spend = async (agent: string, tokens: number) =>
      (await writer.reserve({ agent }, { inputTokens: tokens, maxOutputTokens: 0 })).settle({
        inputTokens: tokens,
        outputTokens: 0,
      })
    await spend('yesterday', 10)
    now += 86_400_000
    await spend('today', 20)
    const reader = createBudget({ limits: [], store, mode: 'dry-run', now: () => now + 1_000 })
    expect((await reader.report()).top.agent?.map((spender) => spender.id)).toEqual(['today'])
  })

  it('should keep reading its own track period when it has one', async () => {
    const store = memoryStore()
    const writer = createBudget({
      limits: [{ scope: 'global', tokens: 1_000_000, period: 'month' }],
      store,
      now: () => midMonth,
    })
    await (await writer.reserve({ agent: 'a' }, { inputTokens: 10, maxOutputTokens: 0 })).settle({
      inputTokens: 10,
      outputTokens: 0,
    })
    const daily = createBudget({
      limits: [],
      trackPeriod: 'day',
      store,
      mode: 'dry-run',
      now: () => midMonth,
    })
    expect((await daily.report()).totals.tokens).toBe(0) // its day's counters: none were written
  })
})
