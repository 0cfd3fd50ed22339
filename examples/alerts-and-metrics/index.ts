// Alert rules, OpenTelemetry metrics and a Prometheus scrape for one budget, on a simulated clock.
// Offline: the "model" is scripted usage and the webhook is a local HTTP server on 127.0.0.1.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { BudgetExceededError, createBudget, formatAmount } from '@tokenwarden/core'
import {
  budgetMetrics,
  createAlertMonitor,
  loadAlertRules,
  prometheusRegistry,
} from '@tokenwarden/observability'

// 1. A local webhook receiver (stands in for Slack, PagerDuty, …).
const deliveries: { type: string; message: string }[] = []
const hook = createServer((request, response) => {
  let body = ''
  request.on('data', (chunk) => {
    body += chunk
  })
  request.on('end', () => {
    const { alert } = JSON.parse(body)
    deliveries.push({ type: alert.type, message: alert.message })
    response.writeHead(204).end()
  })
})
hook.listen(0, '127.0.0.1')
await once(hook, 'listening')
const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/budget-alerts`

// 2. A budget on a simulated clock: Monday 2026-01-05, 00:00 UTC.
let time = Date.UTC(2026, 0, 5)
const now = () => time
const budget = createBudget({
  limits: [{ scope: 'agent', id: 'researcher', costUsd: 2, period: 'day' }],
  prices: { models: { 'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 } } },
  now,
})

// 3. Alert rules from alerts.yaml, sent to the webhook and printed.
const config = await loadAlertRules(fileURLToPath(new URL('./alerts.yaml', import.meta.url)))
const monitor = createAlertMonitor(budget, { ...config, webhook: { url: hookUrl } })
monitor.on('alert', (alert) => console.log(`  ALERT ${clock()} [${alert.type}] ${alert.message}`))
monitor.on('error', ({ error }) => console.error('  alert delivery failed:', error))

// 4. OpenTelemetry metrics, read by a pull reader (use a Prometheus or OTLP exporter in production).
class PullReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}
const reader = new PullReader()
budgetMetrics(budget, {
  meter: new MeterProvider({ readers: [reader] }).getMeter('agents'),
  attributes: ['agent'],
})

// 5. A Prometheus registry (serve `await registry.metrics()` on /metrics).
const registry = prometheusRegistry(budget)

const agent = 'researcher'
async function call(task: string, inputTokens: number, outputTokens: number) {
  const context = { agent, task }
  const reservation = await budget.reserve(context, {
    model: 'gpt-4o',
    inputTokens,
    maxOutputTokens: outputTokens,
  })
  await reservation.settle({ inputTokens, outputTokens })
}

console.log('08:00 of steady work: one 2,000-token call every 10 minutes')
for (let i = 0; i < 48; i++) {
  time += 10 * 60_000
  await call(`task-${Math.floor(i / 4)}`, 1500, 500)
}
await monitor.idle()
console.log(`  no alerts (${deliveries.length} webhook deliveries)`)

console.log(`${clock()} task "crawl-42" starts looping: a 7,000-token call every 20 seconds`)
let calls = 0
try {
  for (;;) {
    time += 20_000
    await call('crawl-42', 6000, 1000)
    calls++
    await monitor.idle()
  }
} catch (error) {
  if (!BudgetExceededError.isInstance(error)) throw error
  console.log(
    `  STOP  ${clock()} after ${calls} looping calls: ${error.scope} "${error.scopeId}" has ` +
      `${formatAmount(error.remaining, error.unit)} of ${formatAmount(error.limit, error.unit)} left today`,
  )
}
await monitor.idle()

console.log(`\nwebhook received ${deliveries.length} alerts: ${deliveries.map((d) => d.type).join(', ')}`)

console.log('\nOpenTelemetry counters')
const { resourceMetrics } = await reader.collect()
for (const metric of resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)) {
  for (const point of metric.dataPoints) {
    const labels = Object.entries(point.attributes)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')
    const value = typeof point.value === 'number' ? Math.round(point.value * 10_000) / 10_000 : point.value
    console.log(`  ${metric.descriptor.name} {${labels}} ${value}`)
  }
}

console.log('\nPrometheus /metrics (excerpt)')
const text = await registry.metrics()
for (const line of text.split('\n')) {
  if (/^tokenwarden_(remaining|requests_total|cost_usd_total|blocked_calls_total)/.test(line))
    console.log(`  ${line}`)
}

monitor.dispose()
hook.close()

function clock(): string {
  return new Date(time).toISOString().slice(11, 16)
}
