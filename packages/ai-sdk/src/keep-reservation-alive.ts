import type { Reservation } from '@tokenwarden/core'

/** Leases shorter than this are not renewed (a timer firing every second costs more than it saves). */
const minimumLeaseMs = 2_000

/** The reservations renewed together, every half lease of one length. */
interface RenewalGroup {
  reservations: Set<Reservation>
  timer: ReturnType<typeof setInterval>
  /** The `setInterval` the timer came from (test fake timers swap it; a timer of a gone clock is made anew). */
  madeWith: typeof setInterval
}

const groups = new Map<number, RenewalGroup>()

/**
 * Renews a reservation's lease at most every half of its length while a long call runs (a stream of a
 * slow reasoning model can outlive the default 10-minute lease). Returns the function that stops
 * renewing. Calls share one timer per lease length, so a short call sets no timer of its own; the timer
 * does not keep the process alive and stops once a tick finds nothing to renew.
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
  const { reservations } = group
  reservations.add(reservation)
  return () => {
    reservations.delete(reservation)
  }
}

function startGroup(leaseMs: number): RenewalGroup {
  const reservations = new Set<Reservation>()
  // Every member is renewed within half a lease of joining, so no lease lapses while its call runs.
  const timer = setInterval(() => {
    if (reservations.size === 0) {
      clearInterval(timer)
      if (groups.get(leaseMs)?.timer === timer) groups.delete(leaseMs)
      return
    }
    for (const reservation of reservations) {
      if (reservation.state !== 'open') reservations.delete(reservation)
      else reservation.renew().catch(() => {}) // a failed renewal leaves the lease to lapse; settle still counts
    }
  }, leaseMs / 2)
  timer.unref?.()
  const group = { reservations, timer, madeWith: setInterval }
  groups.set(leaseMs, group)
  return group
}

function noop(): void {}
