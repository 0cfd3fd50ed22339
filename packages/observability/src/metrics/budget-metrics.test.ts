import type { Attributes } from '@opentelemetry/api'
import { type DataPoint, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { BudgetExceededError, BudgetValidationError, createBudget } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { budgetMetrics } from './budget-metrics.ts'

/** A pull reader: `collect()` reads every instrument now. */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function points(resource: ResourceMetrics, name: string): { attributes: Attributes; value: number }[] {
  const metric = resource.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === name)
  if (metric === undefined) return []
  return (metric.dataPoints as DataPoint<number>[])
    .map((point) => ({ attributes: point.attributes, value: point.value }))
    .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)))
}

function setup(options: Partial<Parameters<typeof budgetMetrics>[1]> = {}) {
  const budget = createBudget({
    limits: [
      { scope: 'agent', tokens: 1000 },
      { scope: 'user', costUsd: 5000, period: 'day', onMissingScope: 'skip' }, // some calls name no user
    ],
    // whole dollars per token keep the sums exact
    prices: {
      models: {
        big: { inputPerMillion: 2_000_000, outputPerMillion: 4_000_000 },
        small: { inputPerMillion: 1_000_000, outputPerMillion: 1_000_000 },
      },
    },
    now: () => Date.UTC(2026, 0, 5, 12),
  })
  const reader = new TestReader()
  const provider = new MeterProvider({ readers: [reader] })
  const metrics = budgetMetrics(budget, { meter: provider.getMeter('test'), ...options })
  const call = async (
    context: Record<string, string>,
    model: string,
    inputTokens: number,
    outputTokens: number,
  ) => {
    const reservation = await budget.reserve(context, { model, inputTokens, maxOutputTokens: outputTokens })
    await reservation.settle({ inputTokens, outputTokens })
  }
  const collect = async () => {
    const { resourceMetrics, errors } = await reader.collect()
    expect(errors).toEqual([])
    return resourceMetrics
  }
  return { budget, metrics, call, collect }
}

describe('budgetMetrics', () => {
  describe('counters', () => {
    it('should count tokens, cost, requests and blocked calls by model and context keys', async () => {
      const { budget, call, collect } = setup()
      await call({ agent: 'a', user: 'u1', thread: 't-1' }, 'big', 100, 50)
      await call({ agent: 'a', user: 'u1', thread: 't-2' }, 'big', 10, 5)
      await call({ agent: 'b', user: 'u1' }, 'small', 200, 100)
      await budget.record({ agent: 'b' }, { model: 'small', inputTokens: 7, outputTokens: 3 })
      const refused = await budget
        .reserve({ agent: 'a', user: 'u2' }, { model: 'big', inputTokens: 900, maxOutputTokens: 100 })
        .catch((error: unknown) => error)
      expect(BudgetExceededError.isInstance(refused)).toBe(true)

      const result = await collect()
      expect(points(result, 'tokenwarden.tokens')).toEqual([
        { attributes: { agent: 'a', user: 'u1', model: 'big', type: 'input' }, value: 110 },
        { attributes: { agent: 'a', user: 'u1', model: 'big', type: 'output' }, value: 55 },
        { attributes: { agent: 'b', model: 'small', type: 'input' }, value: 7 },
        { attributes: { agent: 'b', model: 'small', type: 'output' }, value: 3 },
        { attributes: { agent: 'b', user: 'u1', model: 'small', type: 'input' }, value: 200 },
        { attributes: { agent: 'b', user: 'u1', model: 'small', type: 'output' }, value: 100 },
      ])
      expect(points(result, 'tokenwarden.cost')).toEqual([
        { attributes: { agent: 'a', user: 'u1', model: 'big' }, value: 110 * 2 + 55 * 4 },
        { attributes: { agent: 'b', model: 'small' }, value: 10 },
        { attributes: { agent: 'b', user: 'u1', model: 'small' }, value: 300 },
      ])
      expect(points(result, 'tokenwarden.requests')).toEqual([
        { attributes: { agent: 'a', user: 'u1', model: 'big' }, value: 2 },
        { attributes: { agent: 'b', model: 'small' }, value: 1 },
        { attributes: { agent: 'b', user: 'u1', model: 'small' }, value: 1 },
      ])
      expect(points(result, 'tokenwarden.blocked_calls')).toEqual([
        {
          attributes: {
            scope: 'agent',
            limit: 'agent/none',
            unit: 'tokens',
            agent: 'a',
            user: 'u2',
            model: 'big',
          },
          value: 1,
        },
      ])
    })

    it('should not count calls that would have been blocked in warn mode', async () => {
      const budget = createBudget({ limits: [{ scope: 'global', tokens: 10 }], mode: 'warn' })
      const reader = new TestReader()
      budgetMetrics(budget, { meter: new MeterProvider({ readers: [reader] }).getMeter('test') })
      const reservation = await budget.reserve({}, { inputTokens: 100, maxOutputTokens: 10 })
      await reservation.settle({ inputTokens: 100, outputTokens: 10 })
      const { resourceMetrics } = await reader.collect()
      expect(points(resourceMetrics, 'tokenwarden.blocked_calls')).toEqual([])
      expect(points(resourceMetrics, 'tokenwarden.tokens').map((p) => p.value)).toEqual([100, 10])
    })

    it('should use the given attributes and prefix, and stop after dispose', async () => {
      const { call, collect, metrics } = setup({
        attributes: ['thread'],
        prefix: 'agents.budget',
        gauges: false,
      })
      await call({ agent: 'a', thread: 't-1' }, 'big', 1, 1)
      metrics.dispose()
      await call({ agent: 'a', thread: 't-1' }, 'big', 1000, 1000).catch(() => {})
      await call({ agent: 'b', thread: 't-1' }, 'big', 10, 10)
      const result = await collect()
      expect(points(result, 'agents.budget.requests')).toEqual([
        { attributes: { thread: 't-1', model: 'big' }, value: 1 },
      ])
      expect(points(result, 'agents.budget.blocked_calls')).toEqual([])
      expect(points(result, 'agents.budget.budget.remaining')).toEqual([])
    })
  })

  describe('gauges', () => {
    it('should observe limit, used and remaining of every live limit at collection', async () => {
      const { call, collect } = setup()
      await call({ agent: 'a', user: 'u1' }, 'big', 100, 50)
      await call({ agent: 'b', user: 'u1' }, 'small', 200, 100)
      let result = await collect()
      const labels = (limit: string, scope: string, scopeId: string, unit: string, period: string) => ({
        limit,
        scope,
        scope_id: scopeId,
        unit,
        period,
      })
      expect(points(result, 'tokenwarden.budget.remaining')).toEqual([
        { attributes: labels('agent/none', 'agent', 'a', 'tokens', 'none'), value: 850 },
        { attributes: labels('agent/none', 'agent', 'b', 'tokens', 'none'), value: 700 },
        { attributes: labels('user/day', 'user', 'u1', 'costUsd', 'day'), value: 5000 - 400 - 300 },
      ])
      expect(points(result, 'tokenwarden.budget.used').map((p) => p.value)).toEqual([150, 300, 700])
      expect(points(result, 'tokenwarden.budget.limit').map((p) => p.value)).toEqual([1000, 1000, 5000])

      await call({ agent: 'a', user: 'u1' }, 'small', 100, 0)
      result = await collect()
      expect(points(result, 'tokenwarden.budget.remaining').map((p) => p.value)).toEqual([750, 700, 4200])
    })

    it('should observe only the gauge scopes asked for', async () => {
      const { call, collect } = setup({ gaugeScopes: ['user'] })
      await call({ agent: 'a', user: 'u1' }, 'big', 1, 1)
      const result = await collect()
      expect(points(result, 'tokenwarden.budget.remaining').map((p) => p.attributes.scope)).toEqual(['user'])
    })
  })

  describe('options', () => {
    it.each([
      [{}, 'meter'],
      [{ meter: {} }, 'meter'],
      [{ meter: new MeterProvider().getMeter('x'), attributes: [''] }, 'attributes'],
      [{ meter: new MeterProvider().getMeter('x'), prefix: '1x' }, 'prefix'],
    ])('should refuse bad options naming the field (%#)', (options, field) => {
      const budget = createBudget({ limits: [] })
      try {
        budgetMetrics(budget, options as never)
        expect.unreachable()
      } catch (error) {
        expect(BudgetValidationError.isInstance(error)).toBe(true)
        expect((error as BudgetValidationError).field).toBe(field)
      }
    })
  })
})
