import { TokenwardenError } from './tokenwarden-error.ts'

const name = 'tokenwarden.error.invalid-price'
const symbol = Symbol.for(name)

/**
 * Thrown when the price source (`prices` option) returns something other than `undefined` or a finite
 * number ≥ 0 for a model (NaN, a negative or infinite number, a string) and a USD limit applies to the
 * call: the call is refused (reserve), or its settle rejects before anything is counted (the
 * reservation stays held until it is settled again, released or lapses). A bad price never admits a
 * call or credits the budget. When no USD limit applies, the call's tokens still count (unpriced) and
 * this error is reported as a `handlerError` event with `event: 'prices.cost'`.
 *
 * @example
 * try { await budget.reserve(ctx, { model: 'gpt-4o', inputTokens: 100 }) } catch (error) {
 *   if (InvalidPriceError.isInstance(error)) console.error(error.model, error.field, error.value)
 * }
 */
export class InvalidPriceError extends TokenwardenError {
  protected readonly [symbol] = true
  /** The model whose price was asked for. */
  readonly model: string
  /** What returned the bad value: `prices.cost()`. */
  readonly field: string
  /** The value the price source returned. */
  readonly value: unknown
  /** What was expected, in words. */
  readonly reason: string

  constructor({
    model,
    value,
    reason,
    field = 'prices.cost()',
    cause,
  }: { model: string; value: unknown; reason: string; field?: string; cause?: unknown }) {
    super({
      code: 'invalid_price',
      message: `${field} returned ${describe(value)} for model "${model}": ${reason}`,
      cause,
    })
    this.name = 'InvalidPriceError'
    this.model = model
    this.field = field
    this.value = value
    this.reason = reason
  }

  static override isInstance(error: unknown): error is InvalidPriceError {
    return TokenwardenError.hasMarker(error, name)
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  return typeof value
}
