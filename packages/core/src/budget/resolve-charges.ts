import { MissingScopeError } from '../errors/missing-scope-error.ts'
import type { CompiledLimit, LimitTable } from '../limits/compile-limits.ts'
import type { LimitUnit } from '../limits/limit-unit.ts'
import type { PeriodSpec } from '../periods/period.ts'
import { type CalendarOptions, periodWindow } from '../periods/period-window.ts'
import type { CounterCharge } from '../stores/budget-store.ts'
import { encodeCounterKey } from '../stores/counter-key.ts'
import type { BudgetContext } from './budget-context.ts'
import { scopeIdOf } from './scope-id-of.ts'

/** A limit applied to one scope value in its current period. */
export interface ResolvedCharge {
  limit: CompiledLimit
  scopeId: string
  charge: CounterCharge
  /** The caps of this charge as a list (the limit's, plus what a rollover carried into this period). */
  capList: CompiledLimit['capList']
  /** Identifies the counter across a rolling window's buckets (for warnings). */
  boardKey: string
  periodStart: number
  resetsAt: number | null
  /** Calendar periods: the usage history counter of the current bucket (made by `appendHistoryCharges`). */
  history?: { bucketStart: number; charge: CounterCharge }
}

/**
 * How far back the clock may step (an NTP correction, a restored VM) with each limit staying in the latest
 * period it reached; a larger step is taken as a corrected clock, and the limits follow it.
 *
 * @example
 * const keepsPeriod = limit.windowStart - now <= clockStepBackMs
 */
export const clockStepBackMs = 3_600_000

/**
 * What {@link resolveCharges} does when the context lacks the id of a scope with a refusing default limit:
 * throw `MissingScopeError` (calls), leave those limits out (`omit`: reads such as `status`), or leave
 * out only `model` limits (`omit-model`: a child budget's hold, whose calls name their model later).
 */
export type MissingIdPolicy = 'refuse' | 'omit' | 'omit-model'

/** Called when a limit enters a new period. */
export type ResetListener = (limit: CompiledLimit, previousStart: number, start: number) => void

/**
 * The counters a call with this context charges, one per applicable limit, in the current periods (the
 * context is checked beforehand, see `assertContext`). A context without the id of a scope that has a
 * refusing default limit throws `MissingScopeError`, unless `missing` says otherwise. Returns
 * `previous` itself when it holds the same charges (hot loops repeat a context: no array is made; the
 * arrays returned are never changed).
 */
export function resolveCharges(
  table: LimitTable,
  context: BudgetContext,
  model: string | undefined,
  now: number,
  calendar: CalendarOptions,
  onReset: ResetListener,
  missing: MissingIdPolicy = 'refuse',
  previous?: readonly ResolvedCharge[],
): ResolvedCharge[] {
  // `previous` while every charge so far equals its entry; a new array from the first difference
  let resolved: ResolvedCharge[] | undefined
  let count = 0
  for (const group of table.scopes) {
    const scope = group.scope
    const scopeId =
      scope === 'global'
        ? 'global'
        : scope === 'model'
          ? (scopeIdOf(context, scope) ?? model)
          : scopeIdOf(context, scope)
    if (scopeId === undefined) {
      const required = group.required
      if (required !== undefined && missing !== 'omit' && (missing === 'refuse' || scope !== 'model'))
        throw new MissingScopeError({ scope, limitName: required.name })
      continue
    }
    // most scopes have no per-id limits: no lookup then
    const byId = group.byId
    const limits = byId.size === 0 ? group.defaults : (byId.get(scopeId) ?? group.defaults)
    for (const limit of limits) {
      const charge = resolveLimit(limit, scopeId, now, calendar, onReset)
      if (resolved !== undefined) resolved.push(charge)
      else if (previous === undefined || previous[count] !== charge) {
        resolved = previous === undefined ? [] : previous.slice(0, count)
        resolved.push(charge)
      }
      count++
    }
  }
  if (resolved !== undefined) return resolved
  if (previous === undefined) return []
  return previous.length === count ? (previous as ResolvedCharge[]) : previous.slice(0, count)
}

/**
 * The lowest `used` per capped unit at which a limit's counter needs its state read back: its lowest
 * threshold times the cap (`CounterCharge.watch`), or `undefined` for a limit without thresholds.
 *
 * @example
 * watchLevels(limit.thresholds, [{ unit: 'tokens', cap: 1000 }]) // { tokens: 750 } with a 0.75 threshold
 */
export function watchLevels(
  thresholds: CompiledLimit['thresholds'],
  capList: CompiledLimit['capList'],
): CounterCharge['watch'] {
  if (thresholds.length === 0) return undefined
  const watch: Partial<Record<LimitUnit, number>> = {}
  for (const { unit, cap } of capList) {
    let level = Number.POSITIVE_INFINITY
    // the same products the threshold checks compare with (not min(at) × cap: rounding)
    for (const threshold of thresholds) level = Math.min(level, threshold.at * cap)
    watch[unit] = level
  }
  return watch
}

/**
 * Whether a store may leave states out below the charges' watch levels (`watchedOnly`): every charge
 * whose limit has thresholds carries its levels (a child budget's own limit does not).
 *
 * @example
 * const request = { ...reserve, watchedOnly: watchCovered(charges) }
 */
export function watchCovered(charges: readonly ResolvedCharge[]): boolean {
  for (const resolved of charges)
    if (resolved.limit.thresholds.length !== 0 && resolved.charge.watch === undefined) return false
  return true
}

function resolveLimit(
  limit: CompiledLimit,
  scopeId: string,
  now: number,
  calendar: CalendarOptions,
  onReset: ResetListener,
): ResolvedCharge {
  // a per-id variant follows the period window of the default limit it narrows (one reset event).
  // A clock that steps back by up to `clockStepBackMs` keeps the latest period: a spent period (or
  // the rolling bucket that holds the latest usage) is never left for an earlier, emptier one
  const base = limit.base
  if (now >= base.windowEnd || base.windowStart - now > clockStepBackMs) {
    const window = periodWindow(base.period, now, calendar)
    const previous = base.windowEnd === -1 ? undefined : base.windowStart
    base.windowStart = window.start
    base.windowEnd = window.end ?? Number.POSITIVE_INFINITY
    if (base.rollover !== undefined) base.keepUntil = periodWindow(base.period, base.windowEnd, calendar).end
    if (previous !== undefined && previous !== window.start && base.period.kind !== 'rolling') {
      onReset(base, previous, window.start)
    }
  }
  const periodStart = base.windowStart
  const last = limit.lastCharge
  if (last !== undefined && last.scopeId === scopeId && last.periodStart === periodStart) return last
  limit.lastCharge = buildCharge(limit, scopeId, periodStart)
  return limit.lastCharge
}

function buildCharge(limit: CompiledLimit, scopeId: string, periodStart: number): ResolvedCharge {
  const key = encodeCounterKey({ name: limit.name, scope: limit.scope, scopeId, periodStart })
  const period = limit.period
  if (period.kind === 'rolling') {
    const window: string[] = new Array(period.buckets - 1)
    for (let k = 1; k < period.buckets; k++) {
      window[k - 1] = encodeCounterKey({
        name: limit.name,
        scope: limit.scope,
        scopeId,
        periodStart: periodStart - k * period.bucketMs,
      })
    }
    return {
      limit,
      scopeId,
      capList: limit.capList,
      charge: {
        key,
        caps: limit.caps,
        window,
        expiresAt: limit.base.windowEnd + period.rollingMs,
        watch: watchLevels(limit.thresholds, limit.capList),
      },
      boardKey: encodeCounterKey({ name: limit.name, scope: limit.scope, scopeId, periodStart: -1 }),
      periodStart,
      resetsAt: null,
    }
  }
  const resetsAt = period.kind === 'none' ? null : limit.base.windowEnd
  return {
    limit,
    scopeId,
    capList: limit.capList,
    // a rollover reads the previous period's counter: keep counters one period longer
    charge: {
      key,
      caps: limit.caps,
      expiresAt: limit.rollover === undefined ? resetsAt : limit.base.keepUntil,
      watch: watchLevels(limit.thresholds, limit.capList),
    },
    boardKey: key,
    periodStart,
    resetsAt,
  }
}

/**
 * The counters that only accumulate usage for reports (top spenders), one per tracked scope present in a
 * context, in periods of the budget's `trackPeriod`: each counter is keyed by its period's start and
 * expires when the period ends, so the store holds the current period's spenders only. Remembers the last
 * charge of each scope (hot loops repeat the same context).
 *
 * @example
 * const tracking = new TrackingCharges(['user', 'global'], parsePeriod('day', 'trackPeriod'), calendar)
 * tracking.appendTo(counters, { user: 'u-1' }, 'gpt-4o', now)
 */
export class TrackingCharges {
  private readonly scopes: readonly string[]
  private readonly period: PeriodSpec
  private readonly calendar: CalendarOptions
  private readonly last: (CounterCharge | undefined)[]
  private readonly lastIds: (string | undefined)[]
  private windowStart = 0
  private windowEnd = -1
  private expiresAt: number | null = null

  constructor(scopes: readonly string[], period: PeriodSpec, calendar: CalendarOptions) {
    this.scopes = scopes
    this.period = period
    this.calendar = calendar
    this.last = scopes.map(() => undefined)
    this.lastIds = scopes.map(() => undefined)
  }

  /** No scope is tracked: `appendTo` appends nothing. */
  get empty(): boolean {
    return this.scopes.length === 0
  }

  /** Appends the tracking charges of `context` at `now` to `target`. */
  appendTo(target: CounterCharge[], context: BudgetContext, model: string | undefined, now: number): void {
    if (now >= this.windowEnd || this.windowStart - now > clockStepBackMs) this.enter(now)
    for (let index = 0; index < this.scopes.length; index++) {
      const scope = this.scopes[index]!
      const scopeId =
        scope === 'global'
          ? 'global'
          : scope === 'model'
            ? (scopeIdOf(context, scope) ?? model)
            : scopeIdOf(context, scope)
      if (scopeId === undefined) continue
      let charge = this.last[index]
      if (charge === undefined || this.lastIds[index] !== scopeId) {
        charge = {
          key: encodeCounterKey({ name: '@track', scope, scopeId, periodStart: this.windowStart }),
          caps: null,
          expiresAt: this.expiresAt,
        }
        this.last[index] = charge
        this.lastIds[index] = scopeId
      }
      target.push(charge)
    }
  }

  private enter(now: number): void {
    const window = periodWindow(this.period, now, this.calendar)
    this.windowStart = window.start
    this.windowEnd = window.end ?? Number.POSITIVE_INFINITY
    this.expiresAt = window.end
    this.last.fill(undefined)
  }
}
