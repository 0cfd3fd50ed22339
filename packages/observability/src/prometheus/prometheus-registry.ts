import type { Budget } from '@tokenwarden/core'
import { budgetFamilies, type PrometheusOptions } from './budget-families.ts'
import { formatPrometheus } from './format-prometheus.ts'
import { prometheusContentType, topOf } from './prometheus-text.ts'

/** A budget's metrics for a Prometheus scrape endpoint. */
export interface PrometheusRegistry {
  /** `text/plain; version=0.0.4; charset=utf-8` */
  readonly contentType: string
  /** The exposition text: what `prometheusText` shows, plus `<prefix>_blocked_calls_total`. */
  metrics(): Promise<string>
  /** Stops counting blocked calls. */
  dispose(): void
}

/**
 * Like `prometheusText`, and also counts refused calls (`exceeded` events with `blocked: true`) into
 * `<prefix>_blocked_calls_total{scope, limit, unit}` from the moment it is created.
 *
 * @example
 * const registry = prometheusRegistry(budget)
 * http.createServer(async (req, res) => {
 *   res.setHeader('content-type', registry.contentType)
 *   res.end(await registry.metrics())
 * })
 */
export function prometheusRegistry(budget: Budget, options: PrometheusOptions = {}): PrometheusRegistry {
  const top = topOf(options)
  const prefix = options.prefix ?? 'tokenwarden'
  const blocked = new Map<string, { labels: Record<string, string>; value: number }>()
  const off = budget.on('exceeded', (event) => {
    if (!event.blocked) return
    const key = `${event.scope}\u0000${event.limitName}\u0000${event.unit}`
    const entry = blocked.get(key)
    if (entry !== undefined) entry.value += 1
    else
      blocked.set(key, { labels: { scope: event.scope, limit: event.limitName, unit: event.unit }, value: 1 })
  })
  return {
    contentType: prometheusContentType,
    async metrics() {
      const families = budgetFamilies(await budget.report({ top }), options)
      families.push({
        name: `${prefix}_blocked_calls_total`,
        help: 'Model calls refused by a limit.',
        type: 'counter',
        samples: [...blocked.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([, sample]) => ({ labels: sample.labels, value: sample.value })),
      })
      return formatPrometheus(families)
    },
    dispose: off,
  }
}
