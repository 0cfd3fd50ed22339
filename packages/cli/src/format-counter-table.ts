import { type CounterState, decodeCounterKey, formatAmount } from '@tokenwarden/core'
import { formatTable } from './format-table.ts'

/**
 * The limit counters of a store as they are, for `status` without a config (the store keeps no caps,
 * so there are no bars): counter name, scope, id, period start and usage. Tracking counters are left
 * out (see `top`).
 *
 * @example
 * console.log(formatCounterTable(await store.list({ now: Date.now() })))
 */
export function formatCounterTable(counters: readonly CounterState[]): string {
  const rows: string[][] = []
  for (const counter of counters) {
    const parts = decodeCounterKey(counter.key)
    if (parts === undefined || parts.name === '@track') continue
    rows.push([
      parts.name,
      parts.scope,
      parts.scopeId === '' ? '—' : parts.scopeId,
      parts.periodStart === 0 ? '—' : new Date(parts.periodStart).toISOString(),
      formatAmount(counter.used.tokens, 'tokens'),
      formatAmount(counter.used.costUsd, 'costUsd'),
      formatAmount(counter.used.requests, 'requests'),
    ])
  }
  rows.sort((a, b) => a.join('\u0000').localeCompare(b.join('\u0000')))
  return formatTable(['COUNTER', 'SCOPE', 'ID', 'PERIOD START', 'TOKENS', 'COST', 'REQUESTS'], rows, {
    right: [4, 5, 6],
  })
}
