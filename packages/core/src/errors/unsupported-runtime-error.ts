import { TokenwardenError } from './tokenwarden-error.ts'

const name = 'tokenwarden.error.unsupported-runtime'
const symbol = Symbol.for(name)

/**
 * Thrown when a store is created on a runtime that lacks what it needs, e.g. `sqliteStore()` on a
 * Node.js older than 22.16 (no unflagged `node:sqlite` with `StatementSync#setReturnArrays`). It is thrown
 * by the store's factory, never at a later call, and `failOpen` does not apply: an app that cannot keep
 * its budget should not start.
 *
 * @example
 * try { store = sqliteStore({ path: './budgets.db' }) } catch (error) {
 *   if (UnsupportedRuntimeError.isInstance(error)) console.error(error.required, error.runtime)
 * }
 */
export class UnsupportedRuntimeError extends TokenwardenError {
  protected readonly [symbol] = true
  /** The store that cannot run, e.g. `sqlite`. */
  readonly store: string
  /** The runtime it needs, e.g. `Node.js ≥ 22.16.0`. */
  readonly required: string
  /** The runtime found, e.g. `Node.js 22.12.0`. */
  readonly runtime: string
  /** What is missing, e.g. `node:sqlite`. */
  readonly missing: string

  constructor({
    store,
    required,
    runtime,
    missing,
    cause,
  }: { store: string; required: string; runtime: string; missing: string; cause?: unknown }) {
    super({
      code: 'unsupported_runtime',
      message: `[${store}] needs ${required}; this is ${runtime} (${missing} is missing)`,
      cause,
    })
    this.name = 'UnsupportedRuntimeError'
    this.store = store
    this.required = required
    this.runtime = runtime
    this.missing = missing
  }

  static override isInstance(error: unknown): error is UnsupportedRuntimeError {
    return TokenwardenError.hasMarker(error, name)
  }
}
