import { describe, expect, it } from 'vitest'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import type { LimitConfig } from '../limits/limit-config.ts'
import { createBudget } from './create-budget.ts'

const start = Date.UTC(2026, 10, 23, 12)
const researcher = { agent: 'researcher' }
const writer = { agent: 'writer' }

function budgetOf(limits: LimitConfig[]) {
  return createBudget({ limits, track: [], now: () => start })
}

function call(tokens: number) {
  return { inputTokens: tokens, maxOutputTokens: 0 }
}

async function refusal(run: () => Promise<unknown>): Promise<BudgetExceededError> {
  try {
    await run()
  } catch (error) {
    if (BudgetExceededError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected BudgetExceededError')
}

describe('a limit with an id', () => {
  it("should add to the scope's defaults in other units: the token cap still applies to the id", async () => {
    const budget = budgetOf([
      { scope: 'agent', tokens: 50_000 },
      { scope: 'agent', id: 'researcher', requests: 1000, period: 'day' },
    ])
    await budget.record(researcher, { inputTokens: 45_000, outputTokens: 0 })
    const error = await refusal(() => budget.reserve(researcher, call(10_000)))
    expect(error).toMatchObject({ limitName: 'agent/none', scopeId: 'researcher', unit: 'tokens' })
    expect((await budget.status(researcher)).map((s) => [s.limitName, s.unit, s.used, s.limit])).toEqual([
      ['agent/none', 'tokens', 45_000, 50_000],
      ['agent:researcher/day', 'requests', 1, 1000],
    ])
    expect((await budget.status(writer)).map((s) => s.limitName)).toEqual(['agent/none'])
  })

  it('should replace the default of the same unit and period only', async () => {
    const budget = budgetOf([
      { scope: 'agent', tokens: 50_000 },
      { scope: 'agent', id: 'researcher', tokens: 100_000 },
    ])
    await budget.record(researcher, { inputTokens: 80_000, outputTokens: 0 })
    expect((await budget.status(researcher)).map((s) => [s.limitName, s.used])).toEqual([
      ['agent:researcher/none', 80_000],
    ])
    await expect(budget.reserve(writer, call(60_000))).rejects.toSatisfy(BudgetExceededError.isInstance)
  })

  it('should keep a default of the same unit in another period', async () => {
    const budget = budgetOf([
      { scope: 'agent', tokens: 50_000 },
      { scope: 'agent', id: 'researcher', tokens: 10_000, period: 'day' },
    ])
    await expect(refusal(() => budget.reserve(researcher, call(20_000)))).resolves.toMatchObject({
      limitName: 'agent:researcher/day',
    })
    expect((await budget.status(researcher)).map((s) => s.limitName)).toEqual([
      'agent/none',
      'agent:researcher/day',
    ])
  })

  it('should narrow a default with several units to the units the id does not set, in status, warnings and report', async () => {
    const budget = budgetOf([
      { scope: 'agent', tokens: 1000, requests: 2 },
      { scope: 'agent', id: 'researcher', requests: 10 },
    ])
    for (let i = 0; i < 3; i++) await budget.record(researcher, { inputTokens: 100, outputTokens: 0 })
    const { warnings } = await budget.record(researcher, { inputTokens: 500, outputTokens: 0 })
    expect(warnings.map((w) => [w.limitName, w.unit])).toEqual([['agent/none', 'tokens']])
    expect((await budget.status(researcher)).map((s) => [s.limitName, s.unit, s.used, s.limit])).toEqual([
      ['agent/none', 'tokens', 800, 1000],
      ['agent:researcher/none', 'requests', 4, 10],
    ])
    await budget.record(writer, { inputTokens: 1, outputTokens: 0 })
    await budget.record(writer, { inputTokens: 1, outputTokens: 0 })
    await expect(refusal(() => budget.reserve(writer, call(1)))).resolves.toMatchObject({ unit: 'requests' })
    await expect(refusal(() => budget.reserve(researcher, call(300)))).resolves.toMatchObject({
      limitName: 'agent/none',
      unit: 'tokens',
    })
    const report = await budget.report()
    const rows = report.limits.map((s) => [s.limitName, s.scopeId, s.unit, s.limit]).sort()
    expect(rows).toEqual(
      [
        ['agent/none', 'researcher', 'tokens', 1000],
        ['agent/none', 'writer', 'requests', 2],
        ['agent/none', 'writer', 'tokens', 1000],
        ['agent:researcher/none', 'researcher', 'requests', 10],
      ].sort(),
    )
  })

  it('should start a narrowed default over with its period, with one reset event', async () => {
    let now = start
    const budget = createBudget({
      limits: [
        { scope: 'agent', tokens: 100, requests: 5, period: 'day' },
        { scope: 'agent', id: 'researcher', requests: 50, period: 'day' },
      ],
      now: () => now,
    })
    const resets: string[] = []
    budget.on('reset', (event) => resets.push(event.limitName))
    await budget.record(researcher, { inputTokens: 90, outputTokens: 0 })
    await budget.record(writer, { inputTokens: 90, outputTokens: 0 })
    now += 86_400_000
    await expect(budget.reserve(researcher, call(90))).resolves.toBeDefined()
    await expect(budget.reserve(writer, call(90))).resolves.toBeDefined()
    expect(resets.sort()).toEqual(['agent/day', 'agent:researcher/day'])
  })

  it('should replace every default of its scope with replaceDefaults: true', async () => {
    const budget = budgetOf([
      { scope: 'agent', tokens: 50_000 },
      { scope: 'agent', id: 'researcher', requests: 1000, period: 'day', replaceDefaults: true },
    ])
    await expect(budget.reserve(researcher, call(80_000))).resolves.toBeDefined()
    expect((await budget.status(researcher)).map((s) => s.limitName)).toEqual(['agent:researcher/day'])
  })

  it('should refuse replaceDefaults without an id or of the wrong type', () => {
    for (const limit of [
      { scope: 'agent', tokens: 1, replaceDefaults: true },
      { scope: 'agent', id: 'a', tokens: 1, replaceDefaults: 'yes' },
    ]) {
      try {
        budgetOf([limit as LimitConfig])
        throw new Error('expected a validation error')
      } catch (error) {
        expect(BudgetValidationError.isInstance(error) && error.field).toBe('limits[0].replaceDefaults')
      }
    }
  })
})
