import { TokenwardenError } from './tokenwarden-error.ts'

const name = 'tokenwarden.error.store-unavailable'
const symbol = Symbol.for(name)

/**
 * Thrown when the budget store cannot be reached (Redis down, SQLite file locked past its timeout) and
 * the budget fails closed (the default). The original error is the `cause`.
 *
 * @example
 * if (StoreUnavailableError.isInstance(error)) retryLater()
 */
export class StoreUnavailableError extends TokenwardenError {
  protected readonly [symbol] = true
  /** The store's name, e.g. `redis`. */
  readonly store: string
  /** The store operation that failed. */
  readonly operation: string

  constructor({ store, operation, cause }: { store: string; operation: string; cause?: unknown }) {
    const reason = cause instanceof Error ? `: ${cause.message}` : ''
    super({ code: 'store_unavailable', message: `[${store}] ${operation} failed${reason}`, cause })
    this.name = 'StoreUnavailableError'
    this.store = store
    this.operation = operation
  }

  static override isInstance(error: unknown): error is StoreUnavailableError {
    return TokenwardenError.hasMarker(error, name)
  }
}
