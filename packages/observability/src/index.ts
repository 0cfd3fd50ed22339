export type { Duration } from '@tokenwarden/core'
export type { AlertRule, ForecastRule, RunawayRule, SpikeRule } from './alerts/alert-rule.ts'
export type { AlertBase, BudgetAlert } from './alerts/budget-alert.ts'
export {
  type AlertMonitor,
  type AlertMonitorEvents,
  type AlertMonitorOptions,
  createAlertMonitor,
} from './alerts/create-alert-monitor.ts'
export { loadAlertRules } from './alerts/load-alert-rules.ts'
export { type AlertConfig, parseAlertRules } from './alerts/parse-alert-rules.ts'
export {
  type AlertSender,
  type WebhookBody,
  type WebhookOptions,
  webhookSender,
} from './alerts/webhook-sender.ts'
export { type BudgetMetrics, type BudgetMetricsOptions, budgetMetrics } from './metrics/budget-metrics.ts'
export type { PrometheusOptions } from './prometheus/budget-families.ts'
export { formatPrometheus, type PrometheusFamily } from './prometheus/format-prometheus.ts'
export { type PrometheusRegistry, prometheusRegistry } from './prometheus/prometheus-registry.ts'
export { prometheusContentType, prometheusText } from './prometheus/prometheus-text.ts'
