import type { Reservation } from '../budget/budget.ts'

/** What the watch needs of a call: whether it moved since the last tick, and what to do on a tick. */
export interface WatchedCall {
  /** Set by the call on progress; the watch resets it every tick. */
  progressed: boolean
  /** A call waiting for its provider (sent, no progress yet) counts as making progress. */
  waiting: number
  /** Consecutive ticks without progress. */
  idleTicks: number
  /** Ticks since the lease was last renewed. */
  ticksSinceRenewal: number
  /** Renews the lease (a failure leaves it to lapse). */
  renew(): void
  /** Closes the call as stalled. */
  stall(): void
  /** Set here: the group whose timer watches the call. */
  watchGroup: unknown
}

/** What a {@link CallWatch} renews and closes. */
interface WatchOwner {
  readonly reservation: Reservation
  stalled(onStall: (() => void) | undefined): void
}

/** A call's progress as the shared watch timer sees it. */
export class CallWatch implements WatchedCall {
  progressed = false
  waiting = 0 // 1 from `markSent` until the first progress: a provider call in flight
  idleTicks = 0
  ticksSinceRenewal = 0
  watchGroup: unknown
  private readonly call: WatchOwner
  private readonly onStall: (() => void) | undefined

  constructor(call: WatchOwner, onStall: (() => void) | undefined) {
    this.call = call
    this.onStall = onStall
  }

  progress(): void {
    this.progressed = true
    this.waiting = 0
  }

  renew(): void {
    this.call.reservation.renew().catch(noop) // a failed renewal leaves the lease to lapse; settle still counts
  }

  stall(): void {
    this.call.stalled(this.onStall)
  }
}

function noop(): void {}

/** The calls watched together, on one timer per tick length. */
interface WatchGroup {
  key: string
  stallMs: number
  leaseMs: number
  calls: Set<WatchedCall>
  timer: ReturnType<typeof setInterval>
  /** The `setInterval` the timer came from (fake timers swap it; a timer of a gone clock is made anew). */
  madeWith: typeof setInterval
  /** Whether the timer could be unref'd (Node, Bun); a web timer is cleared as its group empties. */
  unrefed: boolean
  stallTicks: number
  renewTicks: number
}

const groups = new Map<string, WatchGroup>()
/** The group used last (most calls share one stall timeout and lease: no key to build per call). */
let lastGroup: WatchGroup | undefined

/**
 * Watches a call on a timer shared by every call with the same stall timeout and lease: each tick
 * renews the lease of a call that made progress (at most every half lease) and closes a call that made
 * none for `stallMs`. The timer does not keep the process alive; where timers cannot be unref'd (web
 * runtimes) it is cleared as soon as its last call ends. {@link unwatchProgress} stops watching.
 */
export function watchProgress(call: WatchedCall, stallMs: number, leaseMs: number): void {
  const last = lastGroup
  if (
    last !== undefined &&
    last.stallMs === stallMs &&
    last.leaseMs === leaseMs &&
    last.madeWith === setInterval &&
    groups.get(last.key) === last
  ) {
    last.calls.add(call)
    call.watchGroup = last
    return
  }
  const tickMs = Math.min(stallMs, leaseMs) / 2
  const key = `${stallMs}:${leaseMs}`
  let group = groups.get(key)
  if (group === undefined || group.madeWith !== setInterval) {
    if (group !== undefined) clearInterval(group.timer)
    group = startGroup(key, tickMs, Math.ceil(stallMs / tickMs), Math.floor(leaseMs / 2 / tickMs))
    group.stallMs = stallMs
    group.leaseMs = leaseMs
  }
  lastGroup = group
  group.calls.add(call)
  call.watchGroup = group
}

/** Stops watching a call (it closed). */
export function unwatchProgress(call: WatchedCall): void {
  const group = call.watchGroup as WatchGroup | undefined
  if (group === undefined) return
  call.watchGroup = undefined
  group.calls.delete(call)
  if (!group.unrefed && group.calls.size === 0) stopGroup(group)
}

function startGroup(key: string, tickMs: number, stallTicks: number, renewTicks: number): WatchGroup {
  const calls = new Set<WatchedCall>()
  const timer = setInterval(() => {
    if (calls.size === 0) {
      stopGroup(group)
      return
    }
    for (const call of calls) tick(call, group)
  }, tickMs)
  const unrefed = typeof (timer as { unref?: unknown }).unref === 'function'
  if (unrefed) timer.unref()
  const group: WatchGroup = {
    key,
    stallMs: 0,
    leaseMs: 0,
    calls,
    timer,
    madeWith: setInterval,
    unrefed,
    stallTicks,
    renewTicks,
  }
  groups.set(key, group)
  return group
}

function tick(call: WatchedCall, group: WatchGroup): void {
  call.ticksSinceRenewal += 1
  if (call.progressed || call.waiting > 0) {
    call.progressed = false
    call.idleTicks = 0
    if (call.ticksSinceRenewal >= group.renewTicks) {
      call.ticksSinceRenewal = 0
      call.renew()
    }
    return
  }
  call.idleTicks += 1
  if (call.idleTicks >= group.stallTicks) {
    unwatchProgress(call)
    call.stall()
  }
}

function stopGroup(group: WatchGroup): void {
  clearInterval(group.timer)
  if (groups.get(group.key) === group) groups.delete(group.key)
}
