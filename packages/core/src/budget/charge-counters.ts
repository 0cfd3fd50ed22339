import type { CounterCharge } from '../stores/budget-store.ts'
import type { BudgetContext } from './budget-context.ts'
import { appendHistoryCharges, historyBucketMs } from './history-charges.ts'
import type { ResolvedCharge, TrackingCharges } from './resolve-charges.ts'

/**
 * The counter lists a budget sends its store, made once and reused while they stay the same: a hot loop
 * repeats one context, so its reserve sends the same list of counters and its settle the same list
 * plus the tracking and usage history counters. Lists given out are never changed (a store may keep
 * one while its operation runs).
 *
 * @example
 * const lists = new ChargeCounters(tracking)
 * store.reserveSync({ …, counters: lists.held(charges) })
 * store.commitSync({ …, counters: lists.settled(charges, context, model, now) })
 */
export class ChargeCounters {
  private readonly tracking: TrackingCharges
  private heldFor: readonly ResolvedCharge[] | undefined
  private heldList: CounterCharge[] = []
  /** The held charges add no usage history counter (their settle sends `heldList` when nothing is tracked). */
  private heldOnly = false
  private settledList: CounterCharge[] = []
  /** `settledList` is the settle list of `settledFor` from `settledFrom` until `settledUntil` (no tracking). */
  private settledFor: readonly ResolvedCharge[] | undefined
  private settledFrom = 0
  private settledUntil = -1
  private readonly scratch: CounterCharge[] = []

  constructor(tracking: TrackingCharges) {
    this.tracking = tracking
  }

  /** The counters of these charges (what a reservation holds). */
  held(charges: readonly ResolvedCharge[]): CounterCharge[] {
    if (charges !== this.heldFor) {
      this.heldList = charges.map((c) => c.charge)
      this.heldFor = charges
      this.heldOnly = charges.every((c) => !c.limit.history || historyBucketMs(c.limit.period.kind) === 0)
    }
    return this.heldList
  }

  /**
   * A settle of these charges adds usage to their own counters only (nothing tracked, no usage history
   * bucket), whatever its time: `settled` then returns the `held` list at any `now`.
   */
  timeless(charges: readonly ResolvedCharge[]): boolean {
    return charges === this.heldFor && this.heldOnly && this.tracking.empty
  }

  /** The counters a settle of these charges adds usage to: theirs, tracking, then usage history. */
  settled(
    charges: readonly ResolvedCharge[],
    context: BudgetContext,
    model: string | undefined,
    now: number,
  ): CounterCharge[] {
    const untracked = this.tracking.empty
    if (untracked) {
      if (charges === this.heldFor && this.heldOnly) return this.heldList
      // the same usage history buckets: the same list
      if (charges === this.settledFor && now >= this.settledFrom && now < this.settledUntil)
        return this.settledList
    }
    const scratch = this.scratch
    scratch.length = 0
    for (let i = 0; i < charges.length; i++) scratch.push(charges[i]!.charge)
    this.tracking.appendTo(scratch, context, model, now)
    appendHistoryCharges(scratch, charges, now)
    const last = this.settledList
    let same = last.length === scratch.length
    for (let i = 0; same && i < scratch.length; i++) same = last[i] === scratch[i]
    if (!same) this.settledList = scratch.slice()
    if (untracked) this.keepUntilNextBucket(charges)
    return this.settledList
  }

  /** The time span in which every usage history bucket of these charges stays the one just appended. */
  private keepUntilNextBucket(charges: readonly ResolvedCharge[]): void {
    let from = Number.NEGATIVE_INFINITY
    let until = Number.POSITIVE_INFINITY
    for (let i = 0; i < charges.length; i++) {
      const resolved = charges[i]!
      const bucketMs = resolved.limit.history ? historyBucketMs(resolved.limit.period.kind) : 0
      if (bucketMs === 0 || resolved.history === undefined) continue
      const start = resolved.history.bucketStart
      from = Math.max(from, start, resolved.periodStart)
      until = Math.min(until, start + bucketMs, resolved.resetsAt ?? Number.POSITIVE_INFINITY)
    }
    this.settledFor = charges
    this.settledFrom = from
    this.settledUntil = until
  }
}
