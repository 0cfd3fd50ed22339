import type { LimitTable } from '../limits/compile-limits.ts'
import { type PeriodSpec, parsePeriod } from '../periods/period.ts'

/** Nominal lengths, to find the longest period of a budget's limits. */
const lengths: Record<PeriodSpec['kind'], number> = {
  none: 0,
  rolling: 0,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
  month: 2_678_400_000,
}

/**
 * The period of the tracking counters (usage kept for reports, by agent, user, model): the `trackPeriod`
 * option, else the longest period of the limits (a rolling window counts as periods of its length), else
 * a day. A rolling `trackPeriod` is one bucket of its length. `'none'` keeps tracking counters forever.
 *
 * @example
 * resolveTrackPeriod(undefined, compileLimits([{ scope: 'user', tokens: 1000, period: 'week' }], [])).kind // 'week'
 */
export function resolveTrackPeriod(option: unknown, table: LimitTable): PeriodSpec {
  if (option !== undefined) return asBuckets(parsePeriod(option, 'trackPeriod'))
  let longest: PeriodSpec | undefined
  let longestMs = 0
  for (const limit of table.limits) {
    const ms = limit.period.kind === 'rolling' ? limit.period.rollingMs : lengths[limit.period.kind]
    if (ms > longestMs) {
      longest = limit.period
      longestMs = ms
    }
  }
  return longest === undefined ? parsePeriod('day', 'trackPeriod') : asBuckets(longest)
}

/** A rolling period as back-to-back periods of its whole length. */
function asBuckets(spec: PeriodSpec): PeriodSpec {
  if (spec.kind !== 'rolling' || spec.buckets === 1) return spec
  return parsePeriod({ rolling: spec.rollingMs, buckets: 1 }, 'trackPeriod')
}
