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

const hourMs = 3_600_000

/**
 * The period that contains `now`. Calendar periods are computed in `timeZone` (daylight saving time
 * included); a rolling window's "period" is its current bucket.
 *
 * @example
 * periodWindow(parsePeriod('day', 'period'), Date.UTC(2026, 0, 1, 15), { timeZone: 'UTC', weekStartsOn: 1 })
 * // { start: Date.UTC(2026, 0, 1), end: Date.UTC(2026, 0, 2) }
 */
export function periodWindow(
  spec: PeriodSpec,
  now: number,
  { timeZone, weekStartsOn }: CalendarOptions,
): PeriodWindow {
  switch (spec.kind) {
    case 'none':
      return { start: 0, end: null }
    case 'rolling': {
      const start = Math.floor(now / spec.bucketMs) * spec.bucketMs
      return { start, end: start + spec.bucketMs }
    }
    case 'hour': {
      const p = zonedParts(now, timeZone)
      const start = zonedTimeToEpoch(p.year, p.month, p.day, p.hour, timeZone)
      return {
        start,
        end: Math.max(zonedTimeToEpoch(p.year, p.month, p.day, p.hour + 1, timeZone), start + hourMs),
      }
    }
    case 'day': {
      const p = zonedParts(now, timeZone)
      return {
        start: zonedTimeToEpoch(p.year, p.month, p.day, 0, timeZone),
        end: zonedTimeToEpoch(p.year, p.month, p.day + 1, 0, timeZone),
      }
    }
    case 'week': {
      const p = zonedParts(now, timeZone)
      const back = (p.weekday - weekStartsOn + 7) % 7
      return {
        start: zonedTimeToEpoch(p.year, p.month, p.day - back, 0, timeZone),
        end: zonedTimeToEpoch(p.year, p.month, p.day - back + 7, 0, timeZone),
      }
    }
    case 'month': {
      const p = zonedParts(now, timeZone)
      return {
        start: zonedTimeToEpoch(p.year, p.month, 1, 0, timeZone),
        end: zonedTimeToEpoch(p.year, p.month + 1, 1, 0, timeZone),
      }
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

interface ZonedParts {
  year: number
  month: number
  day: number
  hour: number
  weekday: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()
const weekdays: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 }

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    })
    formatters.set(timeZone, f)
  }
  return f
}

function zonedParts(epoch: number, timeZone: string): ZonedParts & { minute: number; second: number } {
  if (timeZone === 'UTC') {
    const d = new Date(epoch)
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      weekday: d.getUTCDay(),
    }
  }
  const parts: Record<string, string> = {}
  for (const part of formatter(timeZone).formatToParts(epoch)) parts[part.type] = part.value
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: weekdays[parts.weekday ?? 'Sun'] ?? 0,
  }
}

/** The zone's offset from UTC at `epoch`, in ms (positive east of Greenwich). */
function offsetAt(epoch: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0
  const p = zonedParts(epoch, timeZone)
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second)
  return asUtc - Math.floor(epoch / 1000) * 1000
}

/** The instant at which the wall clock in `timeZone` reads the given time (fields may overflow). */
function zonedTimeToEpoch(year: number, month: number, day: number, hour: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour)
  let epoch = wall - offsetAt(wall, timeZone)
  const second = wall - offsetAt(epoch, timeZone)
  if (second !== epoch) {
    // Around a DST change the offset differs; when the wall time does not exist (spring forward),
    // take the first instant after the gap.
    epoch = offsetAt(second, timeZone) === offsetAt(epoch, timeZone) ? second : Math.max(epoch, second)
  }
  return epoch
}
