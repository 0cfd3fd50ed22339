import { type CounterState, decodeCounterKey, type LimitStatus, type LimitUnit } from '@tokenwarden/core'
import { parseRollingLabel } from './describe-period.ts'

/**
 * The burn-down of one limit (one scope value, one unit) in its current period, from what the store
 * keeps. Amounts are cumulative usage; remaining budget is `limit - used`.
 * - Calendar periods (`hour`, `day`, `week`, `month`): the store keeps one total per period, so the
 *   measured line has two points (period start: 0, now: used); `projectedUsed` extends today's average
 *   rate to the period's end. Earlier periods still kept (limits with `rollover`) are in `previous`.
 * - Rolling windows: one point per bucket of the window (usage is measured per bucket).
 * - `none`: no time axis (`kind: 'total'`), only the current total.
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
  kind: 'calendar' | 'rolling' | 'total'
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
  return statuses.map((status) => {
    const kept = (byLimit.get(`${status.limitName}\u0000${status.scopeId}`) ?? []).sort(
      (a, b) => a.periodStart - b.periodStart,
    )
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
      return { ...base, kind: 'rolling', start, end: now, points, projectedUsed: null, previous: [] }
    }
    if (status.resetsAt === null) {
      return {
        ...base,
        kind: 'total',
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
    return {
      ...base,
      kind: 'calendar',
      start,
      end,
      points: [
        { at: start, used: 0 },
        { at: now, used: status.used },
      ],
      projectedUsed: (status.used * (end - start)) / elapsed,
      previous: kept
        .filter(({ periodStart }) => periodStart < start)
        .map(({ periodStart, state }) => ({ periodStart, used: state.used[status.unit] })),
    }
  })
}
