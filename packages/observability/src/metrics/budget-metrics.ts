import type { Attributes, BatchObservableCallback, Meter } from '@opentelemetry/api'
import { type Budget, BudgetValidationError } from '@tokenwarden/core'

/** Options of {@link budgetMetrics}. */
export interface BudgetMetricsOptions {
  /** An OpenTelemetry meter, e.g. `metrics.getMeter('my-app')`. */
  meter: Meter
  /** Context keys recorded as attributes of the counters (keep them low-cardinality). @default ['agent', 'user'] */
  attributes?: readonly string[]
  /** Metric name prefix. @default 'tokenwarden' */
  prefix?: string
  /** Observe limit, used and remaining gauges from `budget.report()` at each collection. @default true */
  gauges?: boolean
  /** Only gauges of these scopes (there can be one thread counter per conversation). @default every scope */
  gaugeScopes?: readonly string[]
}

/** The instruments of a budget; `dispose()` stops recording. */
export interface BudgetMetrics {
  dispose(): void
}

/**
 * Records a budget's usage through OpenTelemetry:
 * - `tokenwarden.tokens` (counter, `type` = `input` | `output`), `tokenwarden.cost` (USD) and
 *   `tokenwarden.requests`, by `model` and the context keys in `attributes`, from `settled` events;
 * - `tokenwarden.blocked_calls` (counter, by `scope`, `limit`, `unit`, `model`) from refused calls;
 * - `tokenwarden.budget.remaining` / `.used` / `.limit` (observable gauges, by `limit`, `scope`,
 *   `scope_id`, `unit`, `period`), read from `budget.report()` at each collection.
 *
 * @example
 * import { metrics } from '@opentelemetry/api'
 * const instruments = budgetMetrics(budget, { meter: metrics.getMeter('agents'), attributes: ['agent'] })
 */
export function budgetMetrics(budget: Budget, options: BudgetMetricsOptions): BudgetMetrics {
  if (options === null || typeof options !== 'object' || typeof options.meter?.createCounter !== 'function') {
    throw new BudgetValidationError({
      field: 'meter',
      value: options?.meter,
      reason: 'expected an OpenTelemetry Meter',
    })
  }
  const {
    meter,
    attributes = ['agent', 'user'],
    prefix = 'tokenwarden',
    gauges = true,
    gaugeScopes,
  } = options
  if (!Array.isArray(attributes) || attributes.some((key) => typeof key !== 'string' || key === '')) {
    throw new BudgetValidationError({
      field: 'attributes',
      value: attributes,
      reason: 'expected an array of context keys',
    })
  }
  if (typeof prefix !== 'string' || !/^[A-Za-z][\w.-]*$/.test(prefix)) {
    throw new BudgetValidationError({
      field: 'prefix',
      value: prefix,
      reason: 'expected a metric name prefix',
    })
  }
  const tokens = meter.createCounter(`${prefix}.tokens`, {
    description: 'Tokens counted by the budget',
    unit: '{token}',
  })
  const cost = meter.createCounter(`${prefix}.cost`, {
    description: 'USD cost counted by the budget',
    unit: 'USD',
  })
  const requests = meter.createCounter(`${prefix}.requests`, {
    description: 'Model calls counted',
    unit: '{request}',
  })
  const blocked = meter.createCounter(`${prefix}.blocked_calls`, {
    description: 'Model calls refused by a limit',
    unit: '{call}',
  })

  const offSettled = budget.on('settled', ({ context, model, usage }) => {
    const base: Attributes = {}
    for (const key of attributes) if (context[key] !== undefined) base[key] = context[key]
    if (model !== undefined) base.model = model
    tokens.add(usage.inputTokens, { ...base, type: 'input' })
    tokens.add(usage.outputTokens, { ...base, type: 'output' })
    if (usage.costUsd > 0) cost.add(usage.costUsd, base)
    requests.add(usage.requests, base)
  })
  const offExceeded = budget.on('exceeded', (event) => {
    if (!event.blocked) return
    const labels: Attributes = { scope: event.scope, limit: event.limitName, unit: event.unit }
    for (const key of attributes) if (event.context[key] !== undefined) labels[key] = event.context[key]
    if (event.model !== undefined) labels.model = event.model
    blocked.add(1, labels)
  })

  let removeGauges = () => {}
  if (gauges) {
    const remaining = meter.createObservableGauge(`${prefix}.budget.remaining`, {
      description: 'What a limit has left in its current period',
    })
    const used = meter.createObservableGauge(`${prefix}.budget.used`, {
      description: 'What a limit has used in its current period',
    })
    const limit = meter.createObservableGauge(`${prefix}.budget.limit`, {
      description: 'The size of a limit',
    })
    const scopes = gaugeScopes === undefined ? undefined : new Set(gaugeScopes)
    const observe: BatchObservableCallback = async (result) => {
      const report = await budget.report({ top: 0 })
      for (const status of report.limits) {
        if (scopes !== undefined && !scopes.has(status.scope)) continue
        const labels: Attributes = {
          limit: status.limitName,
          scope: status.scope,
          scope_id: status.scopeId,
          unit: status.unit,
          period: status.period,
        }
        result.observe(remaining, status.remaining, labels)
        result.observe(used, status.used, labels)
        result.observe(limit, status.limit, labels)
      }
    }
    meter.addBatchObservableCallback(observe, [remaining, used, limit])
    removeGauges = () => meter.removeBatchObservableCallback(observe, [remaining, used, limit])
  }

  return {
    dispose() {
      offSettled()
      offExceeded()
      removeGauges()
    },
  }
}
