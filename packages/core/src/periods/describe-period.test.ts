import { describe, expect, it } from 'vitest'
import { createBudget } from '../budget/create-budget.ts'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { describePeriod } from './describe-period.ts'

describe('describePeriod', () => {
  it.each([
    ['none', 'in total'],
    ['hour', 'this hour'],
    ['day', 'today'],
    ['week', 'this week'],
    ['month', 'this month'],
    ['rolling:3600000:10', 'in the last hour'],
    ['rolling:600000:10', 'in the last 10 minutes'],
    ['rolling:5400000:10', 'in the last 90 minutes'],
    ['rolling:604800000:7', 'in the last week'],
    ['rolling:1500:3', 'in the last 1,500 milliseconds'],
    ['constructor', 'constructor'],
  ])('should describe %j as %j', (label, text) => {
    expect(describePeriod(label)).toBe(text)
  })
})

describe('rolling periods in what people read', () => {
  const ctx = { agent: 'a', thread: 't' }
  const budget = () =>
    createBudget({
      limits: [
        { scope: 'agent', tokens: 100, period: { rolling: '1h' } },
        { scope: 'thread', tokens: 1000, period: { rolling: '10m' } },
      ],
      now: () => Date.UTC(2026, 0, 1),
    })

  it('should name the window in the error, the warning, the status and the report', async () => {
    const b = budget()
    await b.record(ctx, { inputTokens: 95, outputTokens: 0 })
    await b.record(ctx, { inputTokens: 0, outputTokens: 900 }).catch(() => undefined)
    const error = await b.reserve(ctx, { inputTokens: 50, maxOutputTokens: 10 }).catch((e: unknown) => e)
    expect(BudgetExceededError.isInstance(error)).toBe(true)
    const exceeded = error as BudgetExceededError
    expect(exceeded.message).toContain('left in the last hour')
    expect(exceeded.message).not.toContain('rolling:')
    expect(exceeded).toMatchObject({ period: 'rolling:3600000:10', periodDescription: 'in the last hour' })
    expect(exceeded.toJSON().periodDescription).toBe('in the last hour')

    const warnings = b.takeWarnings(ctx).map((w) => w.message)
    expect(warnings.some((m) => m.includes('budget in the last hour'))).toBe(true)
    expect(warnings.some((m) => m.includes('budget in the last 10 minutes'))).toBe(true)
    for (const message of warnings) expect(message).not.toContain('rolling:')

    const statuses = await b.status(ctx)
    expect(statuses.map((s) => s.periodDescription).sort()).toEqual([
      'in the last 10 minutes',
      'in the last hour',
    ])
    const report = await b.report()
    expect(report.limits.map((s) => s.periodDescription).sort()).toEqual([
      'in the last 10 minutes',
      'in the last hour',
    ])
  })
})
