import type { BudgetEvents } from '@tokenwarden/core'
import type { BudgetAlert } from './budget-alert.ts'
import { describeAmount } from './describe-amount.ts'
import type { SpikeCheck } from './normalize-alert-rules.ts'

interface Series {
  /** Bucket index → usage, oldest first. */
  buckets: Map<number, number>
  firstBucket: number
  /** When the rate was last above the threshold (-Infinity: never). */
  lastSpikeAt: number
}

/**
 * Keeps usage per bucket for each watched scope value and fires when the rate of the last `window` passes
 * `factor` × the rate of the `trailing` period before it (counted from the series' first usage when it is
 * younger). Quiet until a full bucket of baseline exists. An episode lasts while spikes are less than a
 * window apart, so a rate flapping around the threshold fires once.
 *
 * @example
 * const watch = spikeWatch(check, 10_000)
 * const alert = watch(settledEvent, Date.now())
 */
export function spikeWatch(
  check: SpikeCheck,
  maxTracked: number,
): (event: BudgetEvents['settled'], now: number) => BudgetAlert | undefined {
  const series = new Map<string, Series>()
  const windowBuckets = check.windowMs / check.bucketMs
  const trailingBuckets = check.trailingMs / check.bucketMs
  return (event, now) => {
    const scopeId = check.scope === 'global' ? 'global' : event.context[check.scope]
    if (scopeId === undefined) return undefined
    const current = Math.floor(now / check.bucketMs)
    let s = series.get(scopeId)
    if (s === undefined) {
      s = { buckets: new Map(), firstBucket: current, lastSpikeAt: Number.NEGATIVE_INFINITY }
      if (series.size >= maxTracked) series.delete(series.keys().next().value!)
    } else series.delete(scopeId)
    series.set(scopeId, s)
    const amount = event.usage[check.unit]
    s.buckets.set(current, (s.buckets.get(current) ?? 0) + amount)

    const windowStart = current - windowBuckets + 1
    const trailingStart = Math.max(current - windowBuckets - trailingBuckets + 1, s.firstBucket)
    let windowUsage = 0
    let trailingUsage = 0
    for (const [index, value] of s.buckets) {
      if (index < trailingStart) s.buckets.delete(index)
      else if (index >= windowStart) windowUsage += value
      else trailingUsage += value
    }
    const baselineBuckets = windowStart - trailingStart
    if (baselineBuckets < 1) return undefined
    const windowRate = windowUsage / check.windowMs
    const trailingRate = trailingUsage / (baselineBuckets * check.bucketMs)
    const spiking =
      windowUsage > 0 && windowUsage >= check.minUsage && windowRate > check.factor * trailingRate
    if (!spiking) return undefined
    const sameEpisode = now - s.lastSpikeAt < check.windowMs
    s.lastSpikeAt = now
    if (sameEpisode) return undefined
    const perMinute = 60_000
    return {
      type: 'spike',
      rule: check.name,
      scope: check.scope,
      scopeId,
      unit: check.unit,
      value: windowRate * perMinute,
      threshold: check.factor * trailingRate * perMinute,
      windowUsage,
      trailingRatePerMinute: trailingRate * perMinute,
      factor: check.factor,
      at: now,
      context: { ...event.context },
      model: event.model,
      message:
        `spike in ${check.scope}${check.scope === 'global' ? '' : ` "${scopeId}"`}: ` +
        `${describeAmount(windowRate * perMinute, check.unit)}/min over the last ${minutes(check.windowMs)}, ` +
        `above ${check.factor}× the ${describeAmount(trailingRate * perMinute, check.unit)}/min before`,
    }
  }
}

function minutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`
}
