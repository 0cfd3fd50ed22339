import { describe, expect, it } from 'vitest'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import type { LimitConfig } from '../limits/limit-config.ts'
import type { BudgetStore } from '../stores/budget-store.ts'
import { memoryStore } from '../stores/memory-store.ts'
import { createBudget } from './create-budget.ts'

const ctx = { agent: 'a' }
const call = { inputTokens: 60, maxOutputTokens: 40 }

function clocked(store: BudgetStore, limit: LimitConfig, at: number, timeZone = 'UTC') {
  const clock = { at }
  const budget = createBudget({ limits: [limit], store, timeZone, now: () => clock.at })
  return { budget, clock }
}

async function spend(budget: ReturnType<typeof createBudget>, tokens = 100): Promise<void> {
  await budget.record(ctx, { inputTokens: tokens, outputTokens: 0 })
}

describe('clock edges (memory store)', () => {
  it('should count the repeated Europe/London hour once in a running and a fresh process', async () => {
    const store = memoryStore()
    const limit: LimitConfig = { scope: 'agent', tokens: 100, period: 'hour' }
    // the running process saw 00:30 BST (23:30Z) and walks on to 01:30 BST (00:30Z)
    const running = clocked(store, limit, Date.UTC(2026, 9, 24, 23, 30), 'Europe/London')
    await running.budget.status(ctx)
    running.clock.at = Date.UTC(2026, 9, 25, 0, 30)
    await spend(running.budget)
    // a process started at 01:40 BST (00:40Z) is in the same hour
    const fresh = clocked(store, limit, Date.UTC(2026, 9, 25, 0, 40), 'Europe/London')
    await expect(fresh.budget.reserve(ctx, call)).rejects.toSatisfy(BudgetExceededError.isInstance)
  })

  it('should not re-open a spent day when the clock steps back across midnight', async () => {
    const { budget, clock } = clocked(memoryStore(), { scope: 'agent', tokens: 100, period: 'day' }, 0)
    clock.at = Date.UTC(2026, 5, 2, 0, 0, 5)
    await spend(budget)
    clock.at = Date.UTC(2026, 5, 1, 23, 59, 58)
    await expect(budget.reserve(ctx, call)).rejects.toSatisfy(BudgetExceededError.isInstance)
    const [status] = await budget.status(ctx)
    expect(status).toMatchObject({ used: 100, periodStart: Date.UTC(2026, 5, 2) })
    const report = await budget.report()
    expect(report.limits[0]).toMatchObject({ used: 100, periodStart: Date.UTC(2026, 5, 2) })
  })

  it('should not leave a rolling window’s latest bucket when the clock steps back', async () => {
    const limit: LimitConfig = { scope: 'agent', tokens: 100, period: { rolling: '1h' } }
    const { budget, clock } = clocked(memoryStore(), limit, Date.UTC(2026, 5, 1, 12))
    await spend(budget)
    clock.at -= 10 * 60_000
    await expect(budget.reserve(ctx, call)).rejects.toSatisfy(BudgetExceededError.isInstance)
  })

  it('should follow a clock corrected by more than an hour', async () => {
    const { budget, clock } = clocked(memoryStore(), { scope: 'agent', tokens: 100, period: 'day' }, 0)
    clock.at = Date.UTC(2026, 5, 2, 12)
    await spend(budget)
    clock.at = Date.UTC(2026, 5, 1, 12)
    const [status] = await budget.status(ctx)
    expect(status).toMatchObject({ used: 0, periodStart: Date.UTC(2026, 5, 1) })
  })
})
