import { TokenwardenError } from './tokenwarden-error.ts'

const name = 'tokenwarden.error.validation'
const symbol = Symbol.for(name)

/**
 * Thrown for bad input: a negative, NaN, infinite or fractional token count, an empty id, an unknown
 * period, a threshold outside 0..1, a malformed limit. `field` names the offending field as a path.
 *
 * @example
 * try { createBudget({ limits: [{ scope: 'thread', tokens: -1 }] }) } catch (error) {
 *   if (BudgetValidationError.isInstance(error)) console.log(error.field) // 'limits[0].tokens'
 * }
 */
export class BudgetValidationError extends TokenwardenError {
  protected readonly [symbol] = true
  /** Path of the offending field, e.g. `limits[0].tokens` or `usage.outputTokens`. */
  readonly field: string
  /** The value that was refused. */
  readonly value: unknown
  /** What was expected, in words. */
  readonly reason: string

  constructor({
    field,
    value,
    reason,
    cause,
  }: { field: string; value: unknown; reason: string; cause?: unknown }) {
    super({ code: 'invalid_input', message: `invalid ${field}: ${reason} (got ${describe(value)})`, cause })
    this.name = 'BudgetValidationError'
    this.field = field
    this.value = value
    this.reason = reason
  }

  static override isInstance(error: unknown): error is BudgetValidationError {
    return TokenwardenError.hasMarker(error, name)
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  if (Array.isArray(value)) return 'an array'
  return typeof value
}
