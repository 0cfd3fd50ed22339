import { type CounterState, decodeCounterKey, formatAmount, historyCounterPrefix } from '@tokenwarden/core'
import { formatTable } from './format-table.ts'

/**
 * The usage a store keeps per limit, for `status` without a config (the store keeps no caps, so there
 * are no bars): one row per limit name, scope value and period (its start, or `all time`), including
 * ended periods the store still keeps. Usage tracked for `top` and the per-bucket history are left out.
 *
 * @example
 * console.log(formatCounterTable(await store.list({ now: Date.now() })))
 */
export function formatCounterTable(counters: readonly CounterState[]): string {
  const rows: string[][] = []
  for (const counter of counters) {
    const parts = decodeCounterKey(counter.key)
    if (parts === undefined || parts.name === '@track' || parts.name.startsWith(historyCounterPrefix))
      continue
    rows.push([
      parts.name,
      parts.scope,
      parts.scope === 'global' || parts.scopeId === '' ? '—' : parts.scopeId,
      parts.periodStart === 0 ? 'all time' : new Date(parts.periodStart).toISOString(),
      formatAmount(counter.used.tokens, 'tokens'),
      formatAmount(counter.used.costUsd, 'costUsd'),
      formatAmount(counter.used.requests, 'requests'),
    ])
  }
  rows.sort((a, b) => a.join('\u0000').localeCompare(b.join('\u0000')))
  return formatTable(['LIMIT', 'SCOPE', 'ID', 'PERIOD START', 'TOKENS', 'COST', 'REQUESTS'], rows, {
    right: [4, 5, 6],
  })
}
