import { TokenwardenError } from './tokenwarden-error.ts'

const name = 'tokenwarden.error.reservation-overrun'
const symbol = Symbol.for(name)

/** The fields of a {@link ReservationOverrunError}. */
export interface ReservationOverrunDetails {
  reservationId: string
  /** The output tokens the reservation holds. */
  reservedOutputTokens: number
  /** The output tokens produced so far (counted or estimated from the stream). */
  producedOutputTokens: number
}

/**
 * Raised by an adapter that stops a streamed call whose output ran past what its reservation holds
 * (an option of each adapter). The output produced so far is still settled.
 *
 * @example
 * for await (const chunk of stream) { ... } // throws when the stream passes its reservation
 * catch (error) { if (ReservationOverrunError.isInstance(error)) console.log(error.producedOutputTokens) }
 */
export class ReservationOverrunError extends TokenwardenError implements ReservationOverrunDetails {
  protected readonly [symbol] = true
  readonly reservationId: string
  readonly reservedOutputTokens: number
  readonly producedOutputTokens: number

  constructor({ reservationId, reservedOutputTokens, producedOutputTokens }: ReservationOverrunDetails) {
    super({
      code: 'reservation_overrun',
      message: `the call was stopped after ${producedOutputTokens} output tokens: its reservation holds ${reservedOutputTokens}`,
    })
    this.name = 'ReservationOverrunError'
    this.reservationId = reservationId
    this.reservedOutputTokens = reservedOutputTokens
    this.producedOutputTokens = producedOutputTokens
  }

  static override isInstance(error: unknown): error is ReservationOverrunError {
    return TokenwardenError.hasMarker(error, name)
  }
}
