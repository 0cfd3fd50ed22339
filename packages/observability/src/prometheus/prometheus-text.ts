import { type Budget, BudgetValidationError } from '@tokenwarden/core'
import { budgetFamilies, type PrometheusOptions } from './budget-families.ts'
import { formatPrometheus } from './format-prometheus.ts'

/**
 * A snapshot of a budget in the Prometheus text format 0.0.4: `limit`, `used`, `reserved` and `remaining`
 * gauges per limit counter, usage totals, and the top spenders by agent, user and model. For the
 * blocked-call counter, which needs to watch events, use `prometheusRegistry`.
 *
 * @example
 * http.createServer(async (req, res) => {
 *   res.setHeader('content-type', prometheusContentType)
 *   res.end(await prometheusText(budget, { scopes: ['agent', 'global'] }))
 * })
 */
export async function prometheusText(budget: Budget, options: PrometheusOptions = {}): Promise<string> {
  return formatPrometheus(budgetFamilies(await budget.report({ top: topOf(options) }), options))
}

/** The content type of the text format. */
export const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8'

/** Validates `options.top`. */
export function topOf(options: PrometheusOptions): number {
  const top = options.top ?? 10
  if (!Number.isSafeInteger(top) || top < 0) {
    throw new BudgetValidationError({ field: 'top', value: top, reason: 'expected a whole number >= 0' })
  }
  if (options.prefix !== undefined && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(options.prefix)) {
    throw new BudgetValidationError({
      field: 'prefix',
      value: options.prefix,
      reason: 'expected a Prometheus metric name',
    })
  }
  return top
}
