import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type PeriodSpec, parsePeriod } from './period.ts'
import { type CalendarOptions, type PeriodWindow, periodWindow } from './period-window.ts'

const zones = ['UTC', ...Intl.supportedValuesOf('timeZone')]
const kinds = ['hour', 'day', 'week', 'month'] as const
const specs = Object.fromEntries(kinds.map((kind) => [kind, parsePeriod(kind, 'period')]))
const from = Date.UTC(2019, 0, 1)
const to = Date.UTC(2031, 0, 1)
const dayMs = 86_400_000
const stepMs = 15 * 60_000

const offsetFormat = new Map<string, Intl.DateTimeFormat>()
/** The zone's offset name at an instant ("GMT+1"), to find clock changes independently of the code under test. */
function offsetName(zone: string, at: number): string {
  let format = offsetFormat.get(zone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    offsetFormat.set(zone, format)
  }
  return format.formatToParts(at).find((part) => part.type === 'timeZoneName')!.value
}

/** An instant within a few hours of a clock change of `zone` in the year after `at`, or `at` itself. */
function nearChange(zone: string, at: number, shift: number): number {
  let previous = offsetName(zone, at)
  for (let day = at + dayMs; day < at + 366 * dayMs; day += dayMs) {
    const name = offsetName(zone, day)
    if (name !== previous) {
      let low = day - dayMs
      let high = day
      while (high - low > 60_000) {
        const middle = low + Math.floor((high - low) / 2)
        if (offsetName(zone, middle) === previous) low = middle
        else high = middle
      }
      return high + shift
    }
    previous = name
  }
  return at
}

/** A process that was running: asks for the window every 15 minutes, recomputing it only when it ends. */
function walk(spec: PeriodSpec, start: number, target: number, calendar: CalendarOptions): PeriodWindow {
  let window = periodWindow(spec, start, calendar)
  for (let t = start; t <= target; t += stepMs) {
    if (t >= window.end!) {
      const next = periodWindow(spec, t, calendar)
      // contiguous: the next window starts where the last one ended, or a window in between does
      expect(
        next.start === window.end || periodWindow(spec, window.end!, calendar).start === window.end,
      ).toBe(true)
      window = next
    }
  }
  return target >= window.end! ? periodWindow(spec, target, calendar) : window
}

describe('periodWindow', () => {
  it('should give every process in every zone the same window for an instant (DST changes included)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom(...kinds),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: from, max: to }),
        fc.boolean(),
        fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 }),
        fc.integer({ min: 1, max: 48 }),
        (zone, kind, weekStartsOn, uniform, biased, shift, walkedHours) => {
          const calendar = { timeZone: zone, weekStartsOn }
          const spec = specs[kind]!
          const target = biased ? nearChange(zone, uniform, shift) : uniform
          const fresh = periodWindow(spec, target, calendar)
          // the window contains the instant, and is the window of its first and last instant
          expect(fresh.start).toBeLessThanOrEqual(target)
          expect(fresh.end!).toBeGreaterThan(target)
          expect(periodWindow(spec, fresh.start, calendar)).toEqual(fresh)
          expect(periodWindow(spec, fresh.end! - 1, calendar)).toEqual(fresh)
          // no overlap and no gap with its neighbours
          expect(periodWindow(spec, fresh.start - 1, calendar).end).toBe(fresh.start)
          expect(periodWindow(spec, fresh.end!, calendar).start).toBe(fresh.end)
          // a process that walked there gets the same window (and so the same counter key)
          expect(walk(spec, target - walkedHours * 3_600_000, target, calendar)).toEqual(fresh)
        },
      ),
      { numRuns: 400 },
    )
  }, 60_000) // ~0.5 s alone; generous for a loaded 2-core CI machine

  it('should split the repeated hour of Europe/London into two hourly periods', () => {
    const calendar = { timeZone: 'Europe/London', weekStartsOn: 1 }
    const hour = specs.hour!
    // 2026-10-25: 01:00–02:00 BST (00:00Z–01:00Z), then 01:00–02:00 GMT (01:00Z–02:00Z)
    expect(periodWindow(hour, Date.UTC(2026, 9, 25, 0, 30), calendar)).toEqual({
      start: Date.UTC(2026, 9, 25, 0),
      end: Date.UTC(2026, 9, 25, 1),
    })
    expect(periodWindow(hour, Date.UTC(2026, 9, 25, 1, 30), calendar)).toEqual({
      start: Date.UTC(2026, 9, 25, 1),
      end: Date.UTC(2026, 9, 25, 2),
    })
    expect(periodWindow(hour, Date.UTC(2026, 9, 24, 23, 30), calendar)).toEqual({
      start: Date.UTC(2026, 9, 24, 23),
      end: Date.UTC(2026, 9, 25, 0),
    })
  })

  it('should start a day at the first instant after a midnight that a clock change skips', () => {
    // America/Sao_Paulo, 2018-11-04: 00:00 −03 jumped to 01:00 −02 at 03:00Z
    expect(
      periodWindow(specs.day!, Date.UTC(2018, 10, 4, 12), { timeZone: 'America/Sao_Paulo', weekStartsOn: 1 }),
    ).toEqual({ start: Date.UTC(2018, 10, 4, 3), end: Date.UTC(2018, 10, 5, 2) })
  })
})
