import type { StoreUnavailableError } from '@tokenwarden/core'

/**
 * Reported to `onUnavailable` each time the store cannot be reached. With `failOpen: true` the call then
 * goes on without budget enforcement (`failedOpen: true`); otherwise the error is thrown.
 *
 * @example
 * redisStore({ url, failOpen: true, onUnavailable: (event) => log.warn(event.error.message) })
 */
export interface StoreUnavailableEvent {
  /** The store's name. */
  store: string
  /** The store operation that failed: `reserve`, `commit`, `renew`, `read` or `list`. */
  operation: string
  /** The typed error, with the driver's error as its `cause`. */
  error: StoreUnavailableError
  /** True when the operation went on as if it had succeeded (fail-open). */
  failedOpen: boolean
}
