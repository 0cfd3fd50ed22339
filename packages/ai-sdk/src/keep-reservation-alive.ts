import type { Reservation } from '@tokenwarden/core'

/** Leases shorter than this are not renewed (a timer firing every second costs more than it saves). */
const minimumLeaseMs = 2_000

/**
 * Renews a reservation's lease at half its length while a long call runs (a stream of a slow reasoning
 * model can outlive the default 10-minute lease). Returns the function that stops renewing. The timer
 * does not keep the process alive.
 *
 * @example
 * const stop = keepReservationAlive(reservation)
 * try { await longCall() } finally { stop() }
 */
export function keepReservationAlive(reservation: Reservation): () => void {
  const { leaseMs } = reservation
  if (leaseMs < minimumLeaseMs) return () => {}
  const timer = setInterval(() => {
    if (reservation.state !== 'open') clearInterval(timer)
    else reservation.renew().catch(() => {}) // a failed renewal leaves the lease to lapse; settle still counts
  }, leaseMs / 2)
  timer.unref?.()
  return () => clearInterval(timer)
}
