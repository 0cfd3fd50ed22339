import { TokenwardenError } from './tokenwarden-error.ts'

const name = 'tokenwarden.error.reservation-closed'
const symbol = Symbol.for(name)

/**
 * Thrown by `reservation.settle()` when the reservation was already settled or released: settling twice
 * would bill a call twice. (`release()` after `settle()` is a harmless no-op, so `finally { r.release() }`
 * is safe.)
 *
 * @example
 * const r = await budget.reserve(ctx, request)
 * await r.settle(usage)
 * await r.settle(usage) // throws ReservationClosedError
 */
export class ReservationClosedError extends TokenwardenError {
  protected readonly [symbol] = true
  readonly reservationId: string
  readonly state: 'settled' | 'released'

  constructor({
    reservationId,
    state,
    message,
  }: { reservationId: string; state: 'settled' | 'released'; message?: string }) {
    super({
      code: 'reservation_closed',
      message: message ?? `reservation ${reservationId} was already ${state}`,
    })
    this.name = 'ReservationClosedError'
    this.reservationId = reservationId
    this.state = state
  }

  static override isInstance(error: unknown): error is ReservationClosedError {
    return TokenwardenError.hasMarker(error, name)
  }
}
