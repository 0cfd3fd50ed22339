import type { HealthReport, LimitUnit } from '@tokenwarden/core'
import type { PrometheusFamily } from './format-prometheus.ts'

/** Options shared by `prometheusText` and `prometheusRegistry`. */
export interface PrometheusOptions {
  /** Metric name prefix. @default 'tokenwarden' */
  prefix?: string
  /** Top spenders per tracked scope (agent, user, model). @default 10 */
  top?: number
  /** Only limit gauges of these scopes (there can be one thread counter per conversation). @default every scope */
  scopes?: readonly string[]
}

const unitOrder: Record<LimitUnit, number> = {
  tokens: 0,
  inputTokens: 1,
  outputTokens: 2,
  costUsd: 3,
  requests: 4,
}

/**
 * The metric families of a health report: limit gauges, usage counters and top spenders.
 *
 * @example
 * formatPrometheus(budgetFamilies(await budget.report(), {}))
 */
export function budgetFamilies(
  report: HealthReport,
  { prefix = 'tokenwarden', scopes }: PrometheusOptions,
): PrometheusFamily[] {
  const only = scopes === undefined ? undefined : new Set(scopes)
  const limits = report.limits
    .filter((status) => only === undefined || only.has(status.scope))
    .sort(
      (a, b) =>
        compare(a.limitName, b.limitName) ||
        compare(a.scopeId, b.scopeId) ||
        unitOrder[a.unit] - unitOrder[b.unit],
    )
  const limitGauge = (
    name: string,
    help: string,
    field: 'limit' | 'used' | 'reserved' | 'remaining',
  ): PrometheusFamily => ({
    name: `${prefix}_${name}`,
    help,
    type: 'gauge',
    samples: limits.map((status) => ({
      labels: {
        limit: status.limitName,
        scope: status.scope,
        scope_id: status.scopeId,
        unit: status.unit,
        period: status.period,
      },
      value: status[field],
    })),
  })
  const total = (name: string, help: string, value: number): PrometheusFamily => ({
    name: `${prefix}_${name}_total`,
    help,
    type: 'counter',
    samples: [{ value }],
  })
  const spenders = Object.keys(report.top)
    .sort(compare)
    .flatMap((scope) => report.top[scope]!)
  const spenderCounter = (name: string, help: string, field: 'tokens' | 'costUsd'): PrometheusFamily => ({
    name: `${prefix}_${name}_total`,
    help,
    type: 'counter',
    samples: spenders.map((spender) => ({
      labels: { scope: spender.scope, id: spender.id },
      value: spender.usage[field],
    })),
  })
  const { totals } = report
  return [
    limitGauge('limit', 'The size of a limit in its unit.', 'limit'),
    limitGauge('used', 'Usage settled against a limit in its current period.', 'used'),
    limitGauge('reserved', 'Usage held by open reservations against a limit.', 'reserved'),
    limitGauge('remaining', 'What a limit has left in its current period.', 'remaining'),
    total('input_tokens', 'Input tokens counted, cached ones included.', totals.inputTokens),
    total('cached_input_tokens', 'Cached input tokens counted.', totals.cachedInputTokens),
    total('output_tokens', 'Output tokens counted, reasoning ones included.', totals.outputTokens),
    total('reasoning_tokens', 'Reasoning tokens counted.', totals.reasoningTokens),
    total('cost_usd', 'USD cost counted.', totals.costUsd),
    total('requests', 'Model calls counted.', totals.requests),
    spenderCounter('spender_tokens', 'Tokens of the top spenders by scope.', 'tokens'),
    spenderCounter('spender_cost_usd', 'USD cost of the top spenders by scope.', 'costUsd'),
  ]
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
