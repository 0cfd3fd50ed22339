/** What the watch needs of a call: whether it moved since the last tick, and what to do on a tick. */
export interface WatchedCall {
  /** Set by the call on progress; the watch resets it every tick. */
  progressed: boolean
  /** Calls the adapter is awaiting (a non-streaming provider call) count as making progress. */
  waiting: number
  /** Consecutive ticks without progress. */
  idleTicks: number
  /** Ticks since the lease was last renewed. */
  ticksSinceRenewal: number
  /** Renews the lease (a failure leaves it to lapse). */
  renew(): void
  /** Closes the call as stalled. */
  stall(): void
}

/** The calls watched together, on one timer per tick length. */
interface WatchGroup {
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

/**
 * Watches a call on a timer shared by every call with the same stall timeout and lease: each tick
 * renews the lease of a call that made progress (at most every half lease) and closes a call that made
 * none for `stallMs`. The timer does not keep the process alive; where timers cannot be unref'd (web
 * runtimes) it is cleared as soon as its last call ends. Returns the function that stops watching.
 */
export function watchProgress(call: WatchedCall, stallMs: number, leaseMs: number): () => void {
  const tickMs = Math.min(stallMs, leaseMs) / 2
  const key = `${stallMs}:${leaseMs}`
  let group = groups.get(key)
  if (group === undefined || group.madeWith !== setInterval) {
    if (group !== undefined) clearInterval(group.timer)
    group = startGroup(key, tickMs, Math.ceil(stallMs / tickMs), Math.floor(leaseMs / 2 / tickMs))
  }
  const current = group
  current.calls.add(call)
  return () => {
    current.calls.delete(call)
    if (!current.unrefed && current.calls.size === 0) stopGroup(key, current)
  }
}

function startGroup(key: string, tickMs: number, stallTicks: number, renewTicks: number): WatchGroup {
  const calls = new Set<WatchedCall>()
  const timer = setInterval(() => {
    if (calls.size === 0) {
      stopGroup(key, group)
      return
    }
    for (const call of calls) tick(call, group)
  }, tickMs)
  const unrefed = typeof (timer as { unref?: unknown }).unref === 'function'
  if (unrefed) timer.unref()
  const group: WatchGroup = { calls, timer, madeWith: setInterval, unrefed, stallTicks, renewTicks }
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
    group.calls.delete(call)
    call.stall()
  }
}

function stopGroup(key: string, group: WatchGroup): void {
  clearInterval(group.timer)
  if (groups.get(key) === group) groups.delete(key)
}
