import { describe, expect, it } from 'vitest'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import type { BudgetStore } from '../stores/budget-store.ts'
import { memoryStore } from '../stores/memory-store.ts'
import { createBudget } from './create-budget.ts'

const t0 = Date.UTC(2026, 11, 2, 10)

function budgetAt(now: () => number = () => t0, store: BudgetStore = memoryStore()) {
  return createBudget({
    limits: [
      { scope: 'thread', tokens: 1000, costUsd: 1 },
      { scope: 'user', name: 'user/day', tokens: 5000, period: 'day' },
    ],
    prices: { models: { m: { inputPerMillion: 1000, outputPerMillion: 1000 } } },
    store,
    now,
  })
}

async function fieldOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run()
  } catch (error) {
    if (BudgetValidationError.isInstance(error)) return error.field
    throw error
  }
  return undefined
}

describe('budget.grant', () => {
  it('should raise only the limits of the scope, in the units given, for that scope id', async () => {
    const budget = budgetAt()
    const context = { thread: 't-1', user: 'u-1' }
    const { statuses } = await budget.grant(context, { scope: 'thread', tokens: 500 })
    expect(statuses.map((s) => [s.limitName, s.unit, s.limit, s.granted])).toEqual([
      ['thread/none', 'tokens', 1500, 500],
      ['thread/none', 'costUsd', 1, 0],
    ])
    const status = await budget.status(context)
    expect(status.map((s) => [s.limitName, s.unit, s.limit, s.granted])).toEqual([
      ['thread/none', 'tokens', 1500, 500],
      ['thread/none', 'costUsd', 1, 0],
      ['user/day', 'tokens', 5000, 0],
    ])
    // another thread keeps the configured limit
    const [other] = await budget.status({ thread: 't-2' })
    expect(other).toMatchObject({ limit: 1000, granted: 0 })
  })

  it('should let a refused call through after the grant, and no further than the new limit', async () => {
    const budget = budgetAt()
    const context = { thread: 't-1', user: 'u-1' }
    await budget.record(context, { model: 'm', inputTokens: 1000, outputTokens: 0 })
    const refused = await budget
      .reserve(context, { model: 'm', inputTokens: 100, maxOutputTokens: 0 })
      .catch((e) => e)
    expect(BudgetExceededError.isInstance(refused) && refused.limitName).toBe('thread/none')
    // the USD limit binds too: 1000 tokens at $1,000/M is $1
    await budget.grant(context, { scope: 'thread', tokens: 100, costUsd: 0.1 })
    const reservation = await budget.reserve(context, { model: 'm', inputTokens: 100, maxOutputTokens: 0 })
    await reservation.settle({ inputTokens: 100, outputTokens: 0 })
    const error = await budget
      .reserve(context, { model: 'm', inputTokens: 1, maxOutputTokens: 0 })
      .catch((e) => e)
    expect(error).toMatchObject({ granted: 100, limit: 1100, used: 1100, remaining: 0 })
    expect(error.toJSON()).toMatchObject({ granted: 100, limit: 1100 })
  })

  it('should raise one limit by name and lapse with its period', async () => {
    let now = t0
    const budget = budgetAt(() => now)
    const context = { thread: 't-1', user: 'u-1' }
    await budget.grant(context, { limit: 'user/day', tokens: 2000 })
    expect((await budget.status(context))[2]).toMatchObject({ limit: 7000, granted: 2000 })
    now += 24 * 3_600_000
    await budget.record(context, { model: 'm', inputTokens: 1, outputTokens: 0 }) // a write drops ended periods
    expect((await budget.status(context))[2]).toMatchObject({ limit: 5000, granted: 0 })
  })

  it('should apply a grant id once and emit one event', async () => {
    const budget = budgetAt()
    const events: unknown[] = []
    budget.on('granted', (event) => events.push(event))
    const grant = { scope: 'thread', tokens: 300, id: 'check-in-7' }
    expect((await budget.grant({ thread: 't-1' }, grant)).alreadyApplied).toBe(false)
    expect((await budget.grant({ thread: 't-1' }, grant)).alreadyApplied).toBe(true)
    expect((await budget.status({ thread: 't-1' }))[0]).toMatchObject({ limit: 1300, granted: 300 })
    expect(events).toEqual([
      {
        grantId: 'check-in-7',
        context: { thread: 't-1' },
        limitName: 'thread/none',
        scope: 'thread',
        scopeId: 't-1',
        amount: { tokens: 300 },
        at: t0,
      },
    ])
  })

  it('should show the grant in the report', async () => {
    const budget = budgetAt()
    await budget.record({ thread: 't-1', user: 'u' }, { model: 'm', inputTokens: 200, outputTokens: 0 })
    await budget.grant({ thread: 't-1' }, { scope: 'thread', tokens: 1000 })
    const report = await budget.report()
    expect(report.limits.find((l) => l.scope === 'thread' && l.unit === 'tokens')).toMatchObject({
      scopeId: 't-1',
      limit: 2000,
      granted: 1000,
      used: 200,
      remaining: 1800,
      percentUsed: 10,
    })
  })

  it('should name the field of a bad grant', async () => {
    const budget = budgetAt()
    const context = { thread: 't-1' }
    expect(await fieldOf(() => budget.grant(context, { scope: 'thread', tokens: Number.NaN }))).toBe(
      'grant.tokens',
    )
    expect(await fieldOf(() => budget.grant(context, { scope: 'thread', tokens: -5 }))).toBe('grant.tokens')
    expect(await fieldOf(() => budget.grant(context, { scope: 'thread', tokens: 0 }))).toBe('grant.tokens')
    expect(await fieldOf(() => budget.grant(context, { scope: 'thread', tokenz: 5 } as never))).toBe(
      'grant.tokenz',
    )
    expect(await fieldOf(() => budget.grant(context, { scope: 'thread' }))).toBe('grant')
    expect(await fieldOf(() => budget.grant(context, { tokens: 5 }))).toBe('grant.scope')
    expect(await fieldOf(() => budget.grant(context, { tokens: 5, scope: 'thread', limit: 'x' }))).toBe(
      'grant.scope',
    )
    expect(await fieldOf(() => budget.grant(context, { tokens: 5, scope: 'user' }))).toBe('grant.scope')
    expect(await fieldOf(() => budget.grant(context, { tokens: 5, limit: 'nope' }))).toBe('grant.limit')
    expect(await fieldOf(() => budget.grant(context, { requests: 5, scope: 'thread' }))).toBe('grant.scope')
    expect(await fieldOf(() => budget.grant(null as never, { tokens: 5, scope: 'thread' }))).toBe('context')
    // nothing was granted by the refused calls
    expect((await budget.status(context))[0]).toMatchObject({ limit: 1000, granted: 0 })
  })

  it('should refuse with a typed error on a store without grants', async () => {
    const { grant: _, ...withoutGrant } = memoryStore()
    const budget = budgetAt(undefined, withoutGrant as BudgetStore)
    expect(await fieldOf(() => budget.grant({ thread: 't' }, { scope: 'thread', tokens: 5 }))).toBe('store')
  })

  it('should refuse on a child budget (a child grows with extend)', async () => {
    const budget = budgetAt()
    const child = await budget.child({ thread: 't-1', user: 'u' }, { tokens: 100, costUsd: 0.1, name: 'sub' })
    expect(await fieldOf(() => child.grant({ thread: 't-1' }, { scope: 'thread', tokens: 5 }))).toBe('budget')
    await child.end()
  })

  it('should measure thresholds against the raised limit', async () => {
    const budget = createBudget({
      limits: [{ scope: 'thread', tokens: 1000 }],
      thresholds: [0.8],
      now: () => t0,
    })
    await budget.grant({ thread: 't' }, { scope: 'thread', tokens: 1000 })
    await budget.record({ thread: 't' }, { inputTokens: 900, outputTokens: 0 })
    expect(budget.takeWarnings({ thread: 't' })).toEqual([])
    await budget.record({ thread: 't' }, { inputTokens: 700, outputTokens: 0 })
    const [warning] = budget.takeWarnings({ thread: 't' })
    expect(warning).toMatchObject({ threshold: 0.8, limit: 2000, used: 1600, remaining: 400 })
  })
})
