import {
  type CounterState,
  decodeCounterKey,
  historyBucketMs,
  historyCounterPrefix,
  type LimitStatus,
  type LimitUnit,
} from '@tokenwarden/core'
import { parseRollingLabel } from './describe-period.ts'

/**
 * The burn-down of one limit (one scope value, one unit) in its current period, from what the store
 * keeps. Amounts are cumulative usage; remaining budget is `limit - used`.
 * - Calendar periods (`hour`, `day`, `week`, `month`): drawn from the usage history the budget records
 *   per bucket (5 min of an hour, 1 h of a day, 6 h of a week, 1 day of a month): flat where nothing
 *   was used, rising within a bucket that had usage. Without history (usage recorded before it existed)
 *   the line runs straight from the period start to now and `fromHistory` is false. `projectedUsed`
 *   extends the average rate so far to the period's end. Earlier periods still kept are in `previous`.
 * - Rolling windows: one point per bucket of the window (usage is measured per bucket).
 * - `none` (all time): no time axis (`kind: 'all-time'`), only the current total.
 *
 * @example
 * const charts = burnDowns(report.limits, await store.list({ now }), now)
 */
export interface BurnDown {
  limitName: string
  scope: string
  scopeId: string
  unit: LimitUnit
  limit: number
  used: number
  period: string
  kind: 'calendar' | 'rolling' | 'all-time'
  /** Calendar periods: whether the line comes from recorded per-bucket history. */
  fromHistory: boolean
  /** Start of the chart's time axis (epoch ms): period start, or the rolling window's oldest bucket. */
  start: number
  /** End of the axis: the period's end, `now` for rolling windows and totals. */
  end: number
  now: number
  /** Measured cumulative usage, in time order. */
  points: { at: number; used: number }[]
  /** Usage at `end` if the average rate so far continues (calendar periods only). */
  projectedUsed: number | null
  /** Totals of earlier periods of this limit still kept in the store, oldest first. */
  previous: { periodStart: number; used: number }[]
}

/**
 * Builds one {@link BurnDown} per limit status from the store's counters.
 *
 * @example
 * const snapshot = await readBudget({ store, config })
 * const charts = burnDowns(snapshot.report.limits, snapshot.counters, snapshot.now)
 */
export function burnDowns(
  statuses: readonly LimitStatus[],
  counters: readonly CounterState[],
  now: number,
): BurnDown[] {
  const byLimit = new Map<string, { periodStart: number; state: CounterState }[]>()
  for (const state of counters) {
    const parts = decodeCounterKey(state.key)
    if (parts === undefined || parts.name === '@track') continue
    const key = `${parts.name}\u0000${parts.scopeId}`
    const list = byLimit.get(key) ?? []
    list.push({ periodStart: parts.periodStart, state })
    byLimit.set(key, list)
  }
  const keptOf = (name: string, scopeId: string) =>
    (byLimit.get(`${name}\u0000${scopeId}`) ?? []).sort((a, b) => a.periodStart - b.periodStart)
  return statuses.map((status) => {
    const kept = keptOf(status.limitName, status.scopeId)
    const base = {
      limitName: status.limitName,
      scope: status.scope,
      scopeId: status.scopeId,
      unit: status.unit,
      limit: status.limit,
      used: status.used,
      period: status.period,
      now,
    }
    const rolling = parseRollingLabel(status.period)
    if (rolling !== undefined) {
      const start = status.periodStart - rolling.rollingMs + rolling.bucketMs
      let used = 0
      const points = [{ at: start, used: 0 }]
      for (const { periodStart, state } of kept) {
        if (periodStart < start || periodStart > status.periodStart) continue
        used += state.used[status.unit]
        points.push({ at: Math.min(now, periodStart + rolling.bucketMs), used })
      }
      // Flat from the last bucket with usage to now.
      if (points.at(-1)!.at < now) points.push({ at: now, used })
      return {
        ...base,
        kind: 'rolling',
        fromHistory: true,
        start,
        end: now,
        points,
        projectedUsed: null,
        previous: [],
      }
    }
    if (status.resetsAt === null) {
      return {
        ...base,
        kind: 'all-time',
        fromHistory: false,
        start: now,
        end: now,
        points: [{ at: now, used: status.used }],
        projectedUsed: null,
        previous: [],
      }
    }
    const start = status.periodStart
    const end = status.resetsAt
    const elapsed = Math.max(1, now - start)
    const bucketMs = historyBucketMs(status.period)
    const history = keptOf(historyCounterPrefix + status.limitName, status.scopeId).filter(
      ({ periodStart }) => bucketMs > 0 && periodStart >= start && periodStart < end,
    )
    const points = [{ at: start, used: 0 }]
    let used = 0
    for (const { periodStart, state } of history) {
      if (points.at(-1)!.at < periodStart) points.push({ at: periodStart, used })
      used += state.used[status.unit]
      points.push({ at: Math.min(now, periodStart + bucketMs), used })
    }
    // Usage settled before history was recorded (or not charged to it) joins at now.
    if (points.at(-1)!.at < now || used !== status.used) points.push({ at: now, used: status.used })
    return {
      ...base,
      kind: 'calendar',
      fromHistory: history.length > 0,
      start,
      end,
      points,
      projectedUsed: (status.used * (end - start)) / elapsed,
      previous: kept
        .filter(({ periodStart }) => periodStart < start)
        .map(({ periodStart, state }) => ({ periodStart, used: state.used[status.unit] })),
    }
  })
}
