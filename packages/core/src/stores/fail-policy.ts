import { StoreUnavailableError } from '../errors/store-unavailable-error.ts'

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

/** What a store does when it cannot be reached. */
export interface FailPolicyOptions {
  store: string
  failOpen: boolean
  onUnavailable: ((event: StoreUnavailableEvent) => void) | undefined
}

/**
 * Turns a driver failure into a typed `StoreUnavailableError` (fail-closed) or into the given fallback
 * result (fail-open), reporting both through `onUnavailable`.
 *
 * @example
 * const result = failPolicy({ store: 'my-store', failOpen: false, onUnavailable }).handle('read', error, () => [])
 */
export function failPolicy({ store, failOpen, onUnavailable }: FailPolicyOptions) {
  return {
    handle<T>(operation: string, cause: unknown, fallback: () => T): T {
      const error = StoreUnavailableError.isInstance(cause)
        ? cause
        : new StoreUnavailableError({ store, operation, cause })
      if (onUnavailable !== undefined) {
        try {
          onUnavailable({ store, operation, error, failedOpen: failOpen })
        } catch (handlerError) {
          queueMicrotask(() =>
            console.warn(`[tokenwarden] [${store}] an onUnavailable handler threw:`, handlerError),
          )
        }
      }
      if (!failOpen) throw error
      return fallback()
    },
  }
}
