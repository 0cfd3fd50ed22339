import { BudgetValidationError } from '@tokenwarden/core'
import { parse as parseYaml } from 'yaml'
import type { AlertRule } from './alert-rule.ts'
import { normalizeAlertRules } from './normalize-alert-rules.ts'
import type { WebhookOptions } from './webhook-sender.ts'

/**
 * Alert rules read from a config file: spread it into `createAlertMonitor`'s options.
 *
 * @example
 * const config: AlertConfig = { rules: [{ type: 'forecast', share: 0.9 }], webhook: { url: 'https://hooks.example.com/budget' } }
 */
export interface AlertConfig {
  rules: AlertRule[]
  webhook?: WebhookOptions
}

const webhookKeys = ['url', 'headers', 'timeoutMs']

/**
 * Parses and validates alert rules written as YAML or JSON: either `{ rules: [...], webhook?: { url,
 * headers?, timeoutMs? } }` or a bare list of rules. Throws `BudgetValidationError` naming the field
 * (`rules[2].window`) or `config` for a syntax error.
 *
 * @example
 * const config = parseAlertRules(`
 * rules:
 *   - type: runaway
 *     expectedTokens: 20000
 *     factor: 3
 *   - type: spike
 *     window: 5m
 *     trailing: 1h
 * `)
 * createAlertMonitor(budget, { ...config, now: Date.now })
 */
export function parseAlertRules(text: string): AlertConfig {
  if (typeof text !== 'string')
    throw new BudgetValidationError({ field: 'config', value: text, reason: 'expected text' })
  let data: unknown
  try {
    data = parseYaml(text)
  } catch (error) {
    throw new BudgetValidationError({
      field: 'config',
      value: text,
      reason: `not valid YAML or JSON: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      cause: error,
    })
  }
  if (Array.isArray(data)) data = { rules: data }
  if (data === null || typeof data !== 'object') {
    throw new BudgetValidationError({
      field: 'config',
      value: data,
      reason: 'expected { rules: [...] } or a list of rules',
    })
  }
  const { rules, webhook, ...rest } = data as Record<string, unknown>
  const unknown = Object.keys(rest)[0]
  if (unknown !== undefined) {
    throw new BudgetValidationError({
      field: unknown,
      value: rest[unknown],
      reason: 'unknown key (expected rules, webhook)',
    })
  }
  normalizeAlertRules(rules, 'rules')
  const config: AlertConfig = { rules: rules as AlertRule[] }
  if (webhook !== undefined) config.webhook = parseWebhook(webhook)
  return config
}

function parseWebhook(value: unknown): WebhookOptions {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BudgetValidationError({
      field: 'webhook',
      value,
      reason: 'expected { url, headers?, timeoutMs? }',
    })
  }
  const webhook = value as Record<string, unknown>
  for (const key of Object.keys(webhook)) {
    if (!webhookKeys.includes(key)) {
      throw new BudgetValidationError({
        field: `webhook.${key}`,
        value: webhook[key],
        reason: `unknown option (expected ${webhookKeys.join(', ')})`,
      })
    }
  }
  if (typeof webhook.url !== 'string' || !/^https?:\/\//.test(webhook.url)) {
    throw new BudgetValidationError({
      field: 'webhook.url',
      value: webhook.url,
      reason: 'expected an http or https URL',
    })
  }
  const options: WebhookOptions = { url: webhook.url }
  if (webhook.headers !== undefined) {
    const headers = webhook.headers
    if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
      throw new BudgetValidationError({
        field: 'webhook.headers',
        value: headers,
        reason: 'expected a map of strings',
      })
    }
    for (const [name, header] of Object.entries(headers)) {
      if (typeof header !== 'string') {
        throw new BudgetValidationError({
          field: `webhook.headers.${name}`,
          value: header,
          reason: 'expected a string',
        })
      }
    }
    options.headers = headers as Record<string, string>
  }
  if (webhook.timeoutMs !== undefined) {
    if (
      typeof webhook.timeoutMs !== 'number' ||
      !Number.isFinite(webhook.timeoutMs) ||
      webhook.timeoutMs <= 0
    ) {
      throw new BudgetValidationError({
        field: 'webhook.timeoutMs',
        value: webhook.timeoutMs,
        reason: 'expected a number > 0',
      })
    }
    options.timeoutMs = webhook.timeoutMs
  }
  return options
}
