import type { CounterCharge } from '../stores/budget-store.ts'
import { encodeCounterKey } from '../stores/counter-key.ts'
import type { ResolvedCharge } from './resolve-charges.ts'

/**
 * Counter names of usage history start with this, followed by the limit's name.
 *
 * @example
 * decodeCounterKey(state.key)?.name.startsWith(historyCounterPrefix) // a history bucket, not a limit
 */
export const historyCounterPrefix = '@history:'

/**
 * The length of one usage history bucket of a calendar period (its label: `hour`, `day`, `week`,
 * `month`), or 0 for periods that keep none (`none` never resets; rolling windows are measured in
 * buckets already): hour → 5 min, day → 1 h, week → 6 h, month → 1 day.
 *
 * @example
 * historyBucketMs('day') // 3600000
 */
export function historyBucketMs(period: string): number {
  switch (period) {
    case 'hour':
      return 300_000
    case 'day':
      return 3_600_000
    case 'week':
      return 21_600_000
    case 'month':
      return 86_400_000
    default:
      return 0
  }
}

/**
 * Appends, for every calendar-period limit with `history` a settle charges, the tracking counter of the usage
 * history bucket `now` falls in (`@history:<limit name>`, no caps, dropped with the limit's counter),
 * so burn-down charts draw what was used when. One counter per limit per settle; the charge is made
 * once per bucket and kept on the resolved charge.
 *
 * @example
 * const counters = charges.map((c) => c.charge)
 * appendHistoryCharges(counters, charges, now)
 */
export function appendHistoryCharges(
  target: CounterCharge[],
  charges: readonly ResolvedCharge[],
  now: number,
): void {
  for (let index = 0; index < charges.length; index++) {
    const resolved = charges[index]!
    if (!resolved.limit.history) continue
    const bucketMs = historyBucketMs(resolved.limit.period.kind)
    if (bucketMs === 0) continue
    // A settle after the period ended lands in the period's last bucket.
    const at = resolved.resetsAt === null ? now : Math.min(now, resolved.resetsAt - 1)
    const bucketStart =
      resolved.periodStart + Math.max(0, Math.floor((at - resolved.periodStart) / bucketMs)) * bucketMs
    let history = resolved.history
    if (history === undefined || history.bucketStart !== bucketStart) {
      history = {
        bucketStart,
        charge: {
          key: encodeCounterKey({
            name: historyCounterPrefix + resolved.limit.name,
            scope: resolved.limit.scope,
            scopeId: resolved.scopeId,
            periodStart: bucketStart,
          }),
          caps: null,
          expiresAt: resolved.charge.expiresAt,
        },
      }
      resolved.history = history
    }
    target.push(history.charge)
  }
}
