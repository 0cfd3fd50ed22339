import { formatAmount, type LimitStatus, unitLabel } from '@tokenwarden/core'
import { describePeriod } from './describe-period.ts'
import { formatTable, textBar } from './format-table.ts'

/** Display order of the built-in scopes; custom scopes follow, alphabetically. */
export const scopeOrder = ['global', 'user', 'agent', 'task', 'thread', 'model'] as const

/**
 * The `status` table: one row per limit, scope value and unit, with a progress bar, grouped by scope
 * (global, user, agent, task, thread, model, then custom scopes) and most used first.
 *
 * @example
 * console.log(formatStatusTable((await budget.report()).limits, { now: Date.now() }))
 * // SCOPE   ID   PERIOD    USED / LIMIT        USAGE                        RESETS
 * // thread  t-1  all time  820 / 1,000 tokens  [████████████████░░░░]  82%  —
 */
export function formatStatusTable(
  statuses: readonly LimitStatus[],
  { now, barWidth = 20 }: { now: number; barWidth?: number },
): string {
  const rows = sortStatuses(statuses).map((status) => {
    const share = status.limit === 0 ? (status.used > 0 ? 1 : 0) : status.used / status.limit
    const percent = `${Math.floor(share * 100)}%`.padStart(4)
    const unit = status.unit === 'costUsd' ? '' : ` ${unitLabel(status.unit)}`
    const reserved = status.reserved > 0 ? ` (+${formatAmount(status.reserved, status.unit)} reserved)` : ''
    const granted = status.granted > 0 ? ` (${formatAmount(status.granted, status.unit)} granted)` : ''
    return [
      status.scope,
      status.scope === 'global' || status.scopeId === '' ? '—' : status.scopeId,
      describePeriod(status.period),
      `${formatAmount(status.used, status.unit)} / ${formatAmount(status.limit, status.unit)}${unit}${granted}${reserved}`,
      `[${textBar(share, barWidth)}] ${percent}`,
      formatResets(status, now),
    ]
  })
  return formatTable(['SCOPE', 'ID', 'PERIOD', 'USED / LIMIT', 'USAGE', 'RESETS'], rows)
}

/**
 * Sorts limit statuses by scope (see {@link scopeOrder}), then most used first, then by id.
 *
 * @example
 * const sorted = sortStatuses(report.limits)
 */
export function sortStatuses(statuses: readonly LimitStatus[]): LimitStatus[] {
  return [...statuses].sort(
    (a, b) =>
      scopeRank(a.scope) - scopeRank(b.scope) ||
      a.scope.localeCompare(b.scope) ||
      b.percentUsed - a.percentUsed ||
      a.scopeId.localeCompare(b.scopeId, 'en', { numeric: true }) ||
      a.limitName.localeCompare(b.limitName),
  )
}

function scopeRank(scope: string): number {
  const index = (scopeOrder as readonly string[]).indexOf(scope)
  return index === -1 ? scopeOrder.length : index
}

function formatResets(status: LimitStatus, now: number): string {
  if (status.period.startsWith('rolling:')) return 'rolling'
  // A period without reset is named once, in the PERIOD column ("all time").
  if (status.resetsAt === null) return '—'
  const minutes = Math.max(0, Math.ceil((status.resetsAt - now) / 60_000))
  const days = Math.floor(minutes / 1440)
  const hours = Math.floor((minutes % 1440) / 60)
  const rest = minutes % 60
  if (days > 0) return `in ${days}d ${hours}h`
  if (hours > 0) return `in ${hours}h ${rest}m`
  return `in ${rest}m`
}
