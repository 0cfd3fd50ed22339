import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import type { PeriodSpec } from './period.ts'

/** The current period of a limit: `[start, end)` in epoch ms; `end` is `null` when it never ends. */
export interface PeriodWindow {
  start: number
  end: number | null
}

/** Calendar options: an IANA time zone and the first day of the week (0 = Sunday … 6 = Saturday). */
export interface CalendarOptions {
  timeZone: string
  weekStartsOn: number
}

type CalendarKind = 'hour' | 'day' | 'week' | 'month'

const hourMs = 3_600_000
const dayMs = 86_400_000

/**
 * The period that contains `now`: a pure function of the instant, the period and the calendar, so every
 * process in every zone agrees on it. Calendar periods follow the wall clock of `timeZone`: a period
 * starts where the clock reads the start of an hour, day, week or month (an hour that repeats when
 * daylight saving time ends is two hourly periods), or where a clock change jumps over that reading (the
 * first instant after the gap). A rolling window's "period" is its current bucket.
 *
 * @example
 * periodWindow(parsePeriod('day', 'period'), Date.UTC(2026, 0, 1, 15), { timeZone: 'UTC', weekStartsOn: 1 })
 * // { start: Date.UTC(2026, 0, 1), end: Date.UTC(2026, 0, 2) }
 */
export function periodWindow(spec: PeriodSpec, now: number, calendar: CalendarOptions): PeriodWindow {
  switch (spec.kind) {
    case 'none':
      return { start: 0, end: null }
    case 'rolling': {
      const start = Math.floor(now / spec.bucketMs) * spec.bucketMs
      return { start, end: start + spec.bucketMs }
    }
    default: {
      const clock = new WallClock(spec.kind, calendar)
      return { start: clock.startOf(now), end: clock.endOf(now) }
    }
  }
}

/**
 * Throws a {@link BudgetValidationError} naming `field` unless `timeZone` is an IANA zone this runtime knows.
 *
 * @example
 * assertTimeZone('Europe/Paris', 'timeZone')
 */
export function assertTimeZone(timeZone: unknown, field: string): asserts timeZone is string {
  if (typeof timeZone !== 'string' || timeZone.length === 0) {
    throw new BudgetValidationError({
      field,
      value: timeZone,
      reason: 'expected an IANA time zone such as "UTC"',
    })
  }
  try {
    formatter(timeZone)
  } catch (cause) {
    throw new BudgetValidationError({ field, value: timeZone, reason: 'unknown time zone', cause })
  }
}

/** One calendar period kind read on one zone's wall clock. Local times are epoch ms + the zone's offset. */
class WallClock {
  private readonly kind: CalendarKind
  private readonly calendar: CalendarOptions

  constructor(kind: CalendarKind, calendar: CalendarOptions) {
    this.kind = kind
    this.calendar = calendar
  }

  /** The latest period boundary at or before `t`. */
  startOf(t: number): number {
    for (;;) {
      const offset = this.offset(t)
      const floor = this.floor(t + offset)
      const candidate = floor - offset
      if (candidate === t) return t
      const change = this.lastChange(candidate, t, offset)
      // no clock change since the clock read `floor`: that reading is the boundary
      if (change === undefined) return candidate
      // the clock changed after `floor` was read (or `floor` was skipped): the change is a boundary
      // when it moved the clock into a later period, otherwise look before it
      if (floor > this.floor(change - 1 + this.offset(change - 1))) return change
      t = change - 1
    }
  }

  /** The earliest period boundary after `t`. */
  endOf(t: number): number {
    for (;;) {
      const offset = this.offset(t)
      const local = t + offset
      const candidate = this.next(local) - offset
      const change = this.firstChange(t, candidate, offset)
      if (change === undefined) return candidate
      const changed = change + this.offset(change)
      const floor = this.floor(changed)
      if (changed === floor || floor > this.floor(change - 1 + offset)) return change
      t = change
    }
  }

  /** The local start of the period containing the local time `local`. */
  private floor(local: number): number {
    const day = Math.floor(local / dayMs) * dayMs
    switch (this.kind) {
      case 'hour':
        return Math.floor(local / hourMs) * hourMs
      case 'day':
        return day
      case 'week':
        return day - ((new Date(day).getUTCDay() - this.calendar.weekStartsOn + 7) % 7) * dayMs
      case 'month': {
        const date = new Date(local)
        return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)
      }
    }
  }

  /** The local start of the period after the one containing `local`. */
  private next(local: number): number {
    switch (this.kind) {
      case 'hour':
        return this.floor(local) + hourMs
      case 'day':
        return this.floor(local) + dayMs
      case 'week':
        return this.floor(local) + 7 * dayMs
      case 'month': {
        const date = new Date(local)
        return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)
      }
    }
  }

  private offset(epoch: number): number {
    return offsetAt(epoch, this.calendar.timeZone)
  }

  /** The latest instant in `(from, to]` where the offset changed to `offset` (the offset at `to`). */
  private lastChange(from: number, to: number, offset: number): number | undefined {
    if (this.calendar.timeZone === 'UTC') return undefined
    let later = to
    for (;;) {
      const earlier = Math.max(from, later - dayMs)
      if (this.offset(earlier) !== offset) return this.search(earlier, later, offset)
      if (earlier === from) return undefined
      later = earlier
    }
  }

  /** The earliest instant in `(from, to]` where the offset is no longer `offset` (the offset at `from`). */
  private firstChange(from: number, to: number, offset: number): number | undefined {
    if (this.calendar.timeZone === 'UTC') return undefined
    let earlier = from
    for (;;) {
      const later = Math.min(to, earlier + dayMs)
      if (this.offset(later) !== offset) return this.search(earlier, later, offset, true)
      if (later === to) return undefined
      earlier = later
    }
  }

  /**
   * The instant in `(low, high]` where the offset changes (one change at most in a day). `offset` is the
   * offset at `high` (or, with `fromLow`, at `low`).
   */
  private search(low: number, high: number, offset: number, fromLow = false): number {
    while (high - low > 1) {
      const middle = low + Math.floor((high - low) / 2)
      if ((this.offset(middle) === offset) === fromLow) low = middle
      else high = middle
    }
    return high
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** The zone's offset from UTC at `epoch`, in ms (positive east of Greenwich). */
function offsetAt(epoch: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0
  const parts: Record<string, string> = {}
  for (const part of formatter(timeZone).formatToParts(epoch)) parts[part.type] = part.value
  const year = parts.era === 'BC' || parts.era === 'B' ? 1 - Number(parts.year) : Number(parts.year)
  const date = new Date(0)
  date.setUTCFullYear(year, Number(parts.month) - 1, Number(parts.day))
  date.setUTCHours(Number(parts.hour), Number(parts.minute), Number(parts.second), 0)
  return date.getTime() - Math.floor(epoch / 1000) * 1000
}
