import { type Budget, type BudgetEvents, BudgetValidationError } from '@tokenwarden/core'
import type { AlertRule } from './alert-rule.ts'
import type { BudgetAlert } from './budget-alert.ts'
import { forecastWatch } from './forecast-watch.ts'
import { normalizeAlertRules } from './normalize-alert-rules.ts'
import { runawayWatch } from './runaway-watch.ts'
import { spikeWatch } from './spike-watch.ts'
import { type AlertSender, type WebhookOptions, webhookSender } from './webhook-sender.ts'

/** Options of {@link createAlertMonitor}. */
export interface AlertMonitorOptions {
  /** The rules, from code or `loadAlertRules()`. */
  rules: readonly AlertRule[]
  /** POST each alert to this webhook (see `webhookSender`). */
  webhook?: WebhookOptions
  /** Other senders, called with each alert. */
  send?: AlertSender | readonly AlertSender[]
  /** Tasks and spike series remembered per rule (least recently used forgotten first). @default 10000 */
  maxTracked?: number
}

/** What a monitor reports. */
export interface AlertMonitorEvents {
  alert: BudgetAlert
  /** A rule's evaluation, a sender or an alert handler failed; the monitor went on. */
  error: { error: unknown; rule?: string; alert?: BudgetAlert }
}

/** Alert rules watching a budget. */
export interface AlertMonitor {
  on<E extends keyof AlertMonitorEvents>(
    event: E,
    handler: (event: AlertMonitorEvents[E]) => void,
  ): () => void
  /** Resolves once every evaluation and send started so far has finished. */
  idle(): Promise<void>
  /** Stops watching the budget. */
  dispose(): void
}

/**
 * Evaluates alert rules on every settle of a budget (its `settled` event): runaway tasks, usage spikes
 * and end-of-period forecasts. Each alert fires once per episode as an `alert` event and goes to the
 * webhook and senders. Alerts carry ids and numbers, never prompt text.
 *
 * @example
 * const monitor = createAlertMonitor(budget, {
 *   rules: [
 *     { type: 'runaway', expectedTokens: 20_000, factor: 3 },
 *     { type: 'spike', window: '5m', trailing: '1h', factor: 4, minUsage: 10_000 },
 *     { type: 'forecast', scope: 'agent', unit: 'costUsd', share: 0.9 },
 *   ],
 *   webhook: { url: 'https://hooks.example.com/budget' },
 * })
 * monitor.on('alert', (alert) => console.warn(alert.message))
 */
export function createAlertMonitor(budget: Budget, options: AlertMonitorOptions): AlertMonitor {
  if (options === null || typeof options !== 'object') {
    throw new BudgetValidationError({
      field: 'options',
      value: options,
      reason: 'expected an options object',
    })
  }
  const checks = normalizeAlertRules(options.rules, 'rules')
  const maxTracked = options.maxTracked ?? 10_000
  if (!Number.isSafeInteger(maxTracked) || maxTracked < 1) {
    throw new BudgetValidationError({
      field: 'maxTracked',
      value: maxTracked,
      reason: 'expected a whole number > 0',
    })
  }
  const senders: AlertSender[] = []
  if (options.webhook !== undefined) senders.push(webhookSender(options.webhook))
  for (const [index, send] of [options.send ?? []].flat().entries()) {
    if (typeof send !== 'function') {
      throw new BudgetValidationError({ field: `send[${index}]`, value: send, reason: 'expected a function' })
    }
    senders.push(send)
  }

  const handlers = { alert: new Set<(event: any) => void>(), error: new Set<(event: any) => void>() }
  const pending = new Set<Promise<unknown>>()
  const track = (promise: Promise<unknown>) => {
    pending.add(promise)
    void promise.finally(() => pending.delete(promise))
  }
  const report = (event: AlertMonitorEvents['error']) => {
    if (handlers.error.size === 0) {
      queueMicrotask(() => console.warn('[tokenwarden] [observability] alert monitor error:', event.error))
    }
    for (const handler of handlers.error) {
      try {
        handler(event)
      } catch {}
    }
  }
  const fire = (alert: BudgetAlert) => {
    for (const handler of handlers.alert) {
      try {
        handler(alert)
      } catch (error) {
        report({ error, rule: alert.rule, alert })
      }
    }
    for (const send of senders) {
      track(
        Promise.resolve()
          .then(() => send(alert))
          .catch((error: unknown) => report({ error, rule: alert.rule, alert })),
      )
    }
  }

  const syncWatches = checks.flatMap((check) =>
    check.type === 'runaway'
      ? [{ name: check.name, watch: runawayWatch(check, maxTracked) }]
      : check.type === 'spike'
        ? [{ name: check.name, watch: spikeWatch(check, maxTracked) }]
        : [],
  )
  const forecasts = checks.flatMap((check) =>
    check.type === 'forecast' ? [{ name: check.name, watch: forecastWatch(check) }] : [],
  )

  const onSettled = (event: BudgetEvents['settled']) => {
    const at = event.at // the budget's clock
    for (const { name, watch } of syncWatches) {
      try {
        const alert = watch(event, at)
        if (alert !== undefined) fire(alert)
      } catch (error) {
        report({ error, rule: name })
      }
    }
    if (forecasts.length === 0) return
    track(
      budget.status(event.context, { model: event.model }).then(
        (statuses) => {
          for (const { name, watch } of forecasts) {
            try {
              for (const alert of watch(statuses, event, at)) fire(alert)
            } catch (error) {
              report({ error, rule: name })
            }
          }
        },
        (error: unknown) => report({ error, rule: forecasts[0]!.name }),
      ),
    )
  }
  const unsubscribe = budget.on('settled', onSettled)

  return {
    on(event, handler) {
      const set = Object.hasOwn(handlers, event) ? handlers[event] : undefined
      if (set === undefined) {
        throw new BudgetValidationError({
          field: 'event',
          value: event,
          reason: "expected 'alert' or 'error'",
        })
      }
      set.add(handler)
      return () => {
        set.delete(handler)
      }
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending])
    },
    dispose: unsubscribe,
  }
}
