import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BudgetExceededError, type BudgetStore, createBudget, type LimitConfig } from '@tokenwarden/core'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore } from './sqlite-store.ts'

const directory = mkdtempSync(join(tmpdir(), 'tokenwarden-sqlite-clock-'))
let fileCount = 0
const freshStore = () => sqliteStore({ path: join(directory, `clock-${fileCount++}.db`) })
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const ctx = { agent: 'a' }
const call = { inputTokens: 60, maxOutputTokens: 40 }

function clocked(store: BudgetStore, limit: LimitConfig, at: number, timeZone = 'UTC') {
  const clock = { at }
  const budget = createBudget({ limits: [limit], store, timeZone, now: () => clock.at })
  return { budget, clock }
}

describe('clock edges (SQLite store)', () => {
  it('should count the repeated Europe/London hour once in a running and a fresh process', async () => {
    const path = join(directory, `clock-${fileCount++}.db`)
    const limit: LimitConfig = { scope: 'agent', tokens: 100, period: 'hour' }
    const running = clocked(sqliteStore({ path }), limit, Date.UTC(2026, 9, 24, 23, 30), 'Europe/London')
    await running.budget.status(ctx)
    running.clock.at = Date.UTC(2026, 9, 25, 0, 30)
    await running.budget.record(ctx, { inputTokens: 100, outputTokens: 0 })
    const fresh = clocked(sqliteStore({ path }), limit, Date.UTC(2026, 9, 25, 0, 40), 'Europe/London')
    await expect(fresh.budget.reserve(ctx, call)).rejects.toSatisfy(BudgetExceededError.isInstance)
  })

  it('should not re-open a spent day when the clock steps back across midnight', async () => {
    const { budget, clock } = clocked(freshStore(), { scope: 'agent', tokens: 100, period: 'day' }, 0)
    clock.at = Date.UTC(2026, 5, 2, 0, 0, 5)
    await budget.record(ctx, { inputTokens: 100, outputTokens: 0 })
    clock.at = Date.UTC(2026, 5, 1, 23, 59, 58)
    await expect(budget.reserve(ctx, call)).rejects.toSatisfy(BudgetExceededError.isInstance)
  })

  it('should not leave a rolling window’s latest bucket when the clock steps back', async () => {
    const limit: LimitConfig = { scope: 'agent', tokens: 100, period: { rolling: '1h' } }
    const { budget, clock } = clocked(freshStore(), limit, Date.UTC(2026, 5, 1, 12))
    await budget.record(ctx, { inputTokens: 100, outputTokens: 0 })
    clock.at -= 10 * 60_000
    await expect(budget.reserve(ctx, call)).rejects.toSatisfy(BudgetExceededError.isInstance)
  })
})
