import { clockStepBackMs } from '../budget/resolve-charges.ts'
import type { LimitTable } from '../limits/compile-limits.ts'
import type { PeriodSpec } from '../periods/period.ts'
import { type CalendarOptions, periodWindow } from '../periods/period-window.ts'
import type { BudgetStore } from '../stores/budget-store.ts'
import { decodeCounterKey } from '../stores/counter-key.ts'
import { emptyTally, type Tally, tallyFields } from '../usage/tally.ts'
import type { HealthReport, Spender } from './health-report.ts'
import type { LimitStatus } from './limit-status.ts'

/**
 * Builds a {@link HealthReport} from every counter in the store: limit counters in their current
 * period (rolling windows summed over their buckets) and the current track period's tracking counters
 * for top spenders and totals. Without a `trackPeriod` (a budget that knows neither limits nor the
 * writers' track period) the latest tracked period that has begun is read.
 */
export async function buildReport(
  store: BudgetStore,
  table: LimitTable,
  calendar: CalendarOptions,
  now: number,
  top: number,
  trackPeriod: PeriodSpec | undefined,
): Promise<HealthReport> {
  const states = await store.list({ now })
  // reads delete nothing: tracking counters of ended track periods are still listed, and left out here
  const trackStart =
    trackPeriod === undefined ? latestTrackStart(states, now) : periodWindow(trackPeriod, now, calendar).start
  const windows = new Map<string, { start: number; end: number | null }>()
  const limits = new Map<string, LimitStatus[]>()
  const spenders = new Map<string, Map<string, Tally>>()
  let totals = emptyTally()
  for (const state of states) {
    const parts = decodeCounterKey(state.key)
    if (parts === undefined) continue
    if (parts.name === '@track') {
      if (parts.periodStart !== trackStart) continue
      if (parts.scope === 'global') {
        totals = addTally(totals, state.used)
        continue
      }
      let byId = spenders.get(parts.scope)
      if (byId === undefined) {
        byId = new Map()
        spenders.set(parts.scope, byId)
      }
      const earlier = byId.get(parts.scopeId)
      byId.set(parts.scopeId, earlier === undefined ? state.used : addTally(earlier, state.used))
      continue
    }
    const named = table.byName.get(parts.name)
    if (named === undefined) continue
    // an id with limits of its own may narrow a default limit (or replace it): report what applies to it
    const variant = named.variants?.get(parts.scopeId)
    if (variant === null) continue
    const limit = variant ?? named
    let window = windows.get(limit.name)
    if (window === undefined) {
      // a clock that stepped back a little reports the period the limit still charges (the window
      // state of a per-id variant lives on the default it narrows)
      window =
        now < named.windowStart && named.windowStart - now <= clockStepBackMs
          ? { start: named.windowStart, end: Number.isFinite(named.windowEnd) ? named.windowEnd : null }
          : periodWindow(limit.period, now, calendar)
      windows.set(limit.name, window)
    }
    const inWindow =
      limit.period.kind === 'rolling'
        ? parts.periodStart > window.start - limit.period.rollingMs && parts.periodStart <= window.start
        : parts.periodStart === window.start
    if (!inWindow) continue
    const key = `${limit.name}\u0000${parts.scopeId}`
    let statuses = limits.get(key)
    if (statuses === undefined) {
      statuses = limit.capList.map(({ unit, cap }) => ({
        limitName: limit.name,
        scope: limit.scope,
        scopeId: parts.scopeId,
        unit,
        limit: cap,
        granted: 0,
        used: 0,
        reserved: 0,
        remaining: cap,
        percentUsed: 0,
        period: limit.period.label,
        periodDescription: limit.period.description,
        periodStart: window.start,
        resetsAt: limit.period.kind === 'rolling' || window.end === null ? null : window.end,
      }))
      limits.set(key, statuses)
    }
    for (const status of statuses) {
      const granted = state.granted?.[status.unit] ?? 0
      status.granted += granted
      status.limit += granted
      status.used += state.used[status.unit]
      status.reserved += state.reserved[status.unit]
      status.remaining = Math.max(0, status.limit - status.used - status.reserved)
      status.percentUsed =
        status.limit === 0 ? (status.used > 0 ? 100 : 0) : (status.used / status.limit) * 100
    }
  }
  const topSpenders: Record<string, Spender[]> = {}
  for (const [scope, byId] of spenders) {
    const list = [...byId]
      .map(([id, usage]) => ({ scope, id, usage }))
      .sort((a, b) => b.usage.costUsd - a.usage.costUsd || b.usage.tokens - a.usage.tokens)
      .slice(0, top)
    // an own property even for a scope named __proto__ (an assignment would set the prototype)
    Object.defineProperty(topSpenders, scope, {
      value: list,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return {
    generatedAt: now,
    limits: [...limits.values()].flat().sort((a, b) => b.percentUsed - a.percentUsed),
    top: topSpenders,
    totals: { ...totals },
  }
}

function addTally(a: Tally, b: Tally): Tally {
  const sum = { ...a }
  for (const field of tallyFields) sum[field] += b[field]
  return sum
}

/** The start of the latest tracked period that has begun (a clock stepped back a little allowed). */
function latestTrackStart(states: readonly { key: string }[], now: number): number | undefined {
  let latest: number | undefined
  for (const state of states) {
    const parts = decodeCounterKey(state.key)
    if (parts === undefined || parts.name !== '@track' || parts.periodStart > now + clockStepBackMs) continue
    if (latest === undefined || parts.periodStart > latest) latest = parts.periodStart
  }
  return latest
}
