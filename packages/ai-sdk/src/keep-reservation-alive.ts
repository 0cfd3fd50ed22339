import type { Reservation } from '@tokenwarden/core'

/** Leases shorter than this are not renewed (a timer firing every second costs more than it saves). */
const minimumLeaseMs = 2_000

/** The reservations renewed together, every half lease of one length. */
interface RenewalGroup {
  reservations: Set<Reservation>
  timer: ReturnType<typeof setInterval>
  /** The `setInterval` the timer came from (test fake timers swap it; a timer of a gone clock is made anew). */
  madeWith: typeof setInterval
  /** Whether the timer can be unref'd (Node, Bun); a web timer (a number) is cleared as the group empties. */
  unrefed: boolean
}

const groups = new Map<number, RenewalGroup>()

/**
 * Renews a reservation's lease at most every half of its length while a long call runs (a stream of a
 * slow reasoning model can outlive the default 10-minute lease). Returns the function that stops
 * renewing. Calls share one timer per lease length, so a short call sets no timer of its own; the timer
 * does not keep the process alive and stops once a tick finds nothing to renew. Where timers cannot be
 * unref'd (web timers, e.g. edge-runtime) it stops as soon as its last call does, so it never holds the
 * runtime open for half a lease after the last call.
 *
 * @example
 * const stop = keepReservationAlive(reservation)
 * try { await longCall() } finally { stop() }
 */
export function keepReservationAlive(reservation: Reservation): () => void {
  const { leaseMs } = reservation
  if (leaseMs < minimumLeaseMs) return noop
  let group = groups.get(leaseMs)
  if (group === undefined || group.madeWith !== setInterval) {
    if (group !== undefined) clearInterval(group.timer)
    group = startGroup(leaseMs)
  }
  const current = group
  current.reservations.add(reservation)
  return () => {
    current.reservations.delete(reservation)
    if (!current.unrefed && current.reservations.size === 0) stopGroup(leaseMs, current)
  }
}

function startGroup(leaseMs: number): RenewalGroup {
  const reservations = new Set<Reservation>()
  // Every member is renewed within half a lease of joining, so no lease lapses while its call runs.
  const timer = setInterval(() => {
    if (reservations.size === 0) {
      stopGroup(leaseMs, group)
      return
    }
    for (const reservation of reservations) {
      if (reservation.state !== 'open') reservations.delete(reservation)
      else reservation.renew().catch(() => {}) // a failed renewal leaves the lease to lapse; settle still counts
    }
  }, leaseMs / 2)
  const unrefed = typeof (timer as { unref?: unknown }).unref === 'function'
  if (unrefed) timer.unref()
  const group: RenewalGroup = { reservations, timer, madeWith: setInterval, unrefed }
  groups.set(leaseMs, group)
  return group
}

function stopGroup(leaseMs: number, group: RenewalGroup): void {
  clearInterval(group.timer)
  if (groups.get(leaseMs) === group) groups.delete(leaseMs)
}

function noop(): void {}
