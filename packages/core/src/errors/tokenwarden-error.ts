const marker = 'tokenwarden.error'
const symbol = Symbol.for(marker)

/**
 * Base class of every error tokenwarden throws. Use `TokenwardenError.isInstance(error)` rather than
 * `instanceof`: it also recognises errors from another copy of the package (duplicate installs, bundles).
 *
 * @example
 * try { await budget.reserve(ctx, request) } catch (error) {
 *   if (TokenwardenError.isInstance(error)) console.error(error.code, error.message)
 * }
 */
export class TokenwardenError extends Error {
  protected readonly [symbol] = true
  /** A stable, machine-readable code, e.g. `budget_exceeded`. */
  readonly code: string

  constructor({ code, message, cause }: { code: string; message: string; cause?: unknown }) {
    super(`[tokenwarden] ${message}`, cause === undefined ? undefined : { cause })
    this.name = 'TokenwardenError'
    this.code = code
  }

  /** True for any tokenwarden error, whichever copy of the package created it. */
  static isInstance(error: unknown): error is TokenwardenError {
    return TokenwardenError.hasMarker(error, marker)
  }

  protected static hasMarker(error: unknown, name: string): boolean {
    return (
      error != null &&
      typeof error === 'object' &&
      symbol in error &&
      (name === marker || (error as { [key: symbol]: unknown })[Symbol.for(name)] === true)
    )
  }
}
