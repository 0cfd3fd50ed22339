import { StoreUnavailableError } from '@tokenwarden/core'
import type { StoreUnavailableEvent } from './store-unavailable-event.ts'

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
 * const result = failPolicy({ store: 'redis', failOpen: false, onUnavailable }).handle('read', error, () => [])
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
