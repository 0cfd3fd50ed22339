import type { Reservation } from '@tokenwarden/core'

/** Shortest and longest lease the keep-alive timer trusts (a budget with an injected clock may report anything). */
const minimumLeaseMs = 2_000
const maximumLeaseMs = 24 * 60 * 60 * 1000

/**
 * Renews a reservation's lease at half its length while a long call runs (a stream of a slow reasoning
 * model can outlive the default 10-minute lease). Returns the function that stops renewing. The timer
 * does not keep the process alive.
 *
 * @example
 * const stop = keepReservationAlive(reservation)
 * try { await longCall() } finally { stop() }
 */
export function keepReservationAlive(reservation: Reservation, now: () => number = Date.now): () => void {
  const leaseMs = reservation.expiresAt - now()
  if (!(leaseMs >= minimumLeaseMs && leaseMs <= maximumLeaseMs)) return () => {}
  const timer = setInterval(() => {
    if (reservation.state !== 'open') clearInterval(timer)
    else reservation.renew().catch(() => {}) // a failed renewal leaves the lease to lapse; settle still counts
  }, leaseMs / 2)
  timer.unref?.()
  return () => clearInterval(timer)
}
