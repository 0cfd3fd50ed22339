import { BudgetValidationError } from '@tokenwarden/core'
import type { BudgetAlert } from './budget-alert.ts'

/** Options of {@link webhookSender}. */
export interface WebhookOptions {
  /** Where alerts are POSTed as JSON. */
  url: string
  /** Extra headers (e.g. an authorization header; never put into the body). */
  headers?: Record<string, string>
  /** @default globalThis.fetch */
  fetch?: typeof fetch
  /** Abort a request after this many ms. @default 5000 */
  timeoutMs?: number
}

/** Sends one alert somewhere; a rejection is reported as the monitor's `error` event. */
export type AlertSender = (alert: BudgetAlert) => Promise<void>

/**
 * The JSON body of a webhook: the alert's ids and numbers, never prompt text or API keys.
 *
 * @example
 * const body: WebhookBody = { source: 'tokenwarden', version: 1, alert }
 */
export interface WebhookBody {
  source: 'tokenwarden'
  version: 1
  alert: BudgetAlert
}

/**
 * A sender that POSTs each alert as JSON (`{ source, version, alert }`) to `url` and rejects on a
 * non-2xx answer or after `timeoutMs`.
 *
 * @example
 * const send = webhookSender({ url: 'https://hooks.example.com/budget', headers: { authorization: `Bearer ${token}` } })
 * createAlertMonitor(budget, { rules, send })
 */
export function webhookSender({
  url,
  headers = {},
  fetch: fetchFn,
  timeoutMs = 5000,
}: WebhookOptions): AlertSender {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (error) {
    throw new BudgetValidationError({
      field: 'webhook.url',
      value: url,
      reason: 'expected an absolute URL',
      cause: error,
    })
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new BudgetValidationError({
      field: 'webhook.url',
      value: url,
      reason: 'expected an http or https URL',
    })
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new BudgetValidationError({
      field: 'webhook.timeoutMs',
      value: timeoutMs,
      reason: 'expected a number > 0',
    })
  }
  return async (alert) => {
    const body: WebhookBody = { source: 'tokenwarden', version: 1, alert }
    const response = await (fetchFn ?? globalThis.fetch)(parsed, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    })
    // Drain the body so the connection is reused.
    await response.arrayBuffer().catch(() => undefined)
    if (!response.ok) {
      throw new Error(`[tokenwarden] [observability] webhook ${parsed.origin} answered ${response.status}`)
    }
  }
}
