import type { LimitUnit } from '../limits/limit-unit.ts'
import type { Tally } from '../usage/tally.ts'

/**
 * One counter a call charges: a limit's scope value in one period (or a tracking counter without caps).
 * Stores treat `key` as opaque.
 */
export interface CounterCharge {
  key: string
  /** Caps by unit; `null` for a tracking counter that only accumulates (reports). */
  caps: Readonly<Partial<Record<LimitUnit, number>>> | null
  /**
   * Rolling windows: keys of the window's earlier buckets. Their used + reserved counts toward the caps;
   * only `key` is charged.
   */
  window?: readonly string[]
  /** When the counter's period is over and the store may drop it (epoch ms), or `null` to keep it. */
  expiresAt: number | null
}

/** A counter's state: settled usage and usage held by open reservations. */
export interface CounterState {
  key: string
  used: Tally
  reserved: Tally
}

/** Which cap refused a reservation, with the counter's totals at that moment. */
export interface StoreDenial {
  /** Index into `counters` of the request. */
  index: number
  unit: LimitUnit
  used: number
  reserved: number
}

/** Reserve `amount` on every counter at once, or on none. */
export interface StoreReserveRequest {
  reservationId: string
  now: number
  /** When the reservation lapses and its amount returns to the counters (epoch ms). */
  leaseExpiresAt: number
  counters: readonly CounterCharge[]
  amount: Tally
  /** `false` (warn and dry-run modes): apply even when a cap would be passed, and report it. */
  enforce: boolean
}

/** The outcome of a reservation. States are totals over the counter's window, after the operation. */
export type StoreReserveResult =
  | {
      ok: true
      counters: CounterState[]
      exceeded: StoreDenial | undefined
      /**
       * Optional: an opaque value the engine passes back to `commit` and `renew` of this reservation,
       * so the store can find it without a lookup (the memory store returns the lease itself).
       */
      handle?: unknown
    }
  | { ok: false; denial: StoreDenial }

/**
 * Close a reservation and add usage in one step. `usage: null` releases (adds nothing). With
 * `reservationId: null` it records usage that had no reservation. A reservation that already lapsed
 * is not an error: the usage is still added.
 */
export interface StoreCommitRequest {
  reservationId: string | null
  now: number
  counters: readonly CounterCharge[]
  usage: Tally | null
  /** The `handle` reserve returned for this reservation, if any. Stores must not rely on it. */
  handle?: unknown
}

/** The counters after a commit (totals over their windows), and whether the reservation was still open. */
export interface StoreCommitResult {
  counters: CounterState[]
  reservationFound: boolean
}

/**
 * Where budgets live. Every method is one atomic operation, so a Redis Lua script or a SQLite transaction
 * can implement it in one round trip; `memoryStore()` is the reference. Run `testBudgetStore` from
 * `@tokenwarden/core/test` against any implementation.
 *
 * @example
 * const budget = createBudget({ limits, store: memoryStore() })
 */
export interface BudgetStore {
  /** A short name for errors and events, e.g. `memory`, `redis`. */
  readonly name: string
  reserve(request: StoreReserveRequest): Promise<StoreReserveResult>
  commit(request: StoreCommitRequest): Promise<StoreCommitResult>
  /**
   * Optional, for in-process stores: `reserve` without a promise. The budget calls it instead of
   * `reserve` when present (one await less per call); it must behave exactly like `reserve`.
   */
  reserveSync?(request: StoreReserveRequest): StoreReserveResult
  /** Optional, for in-process stores: `commit` without a promise (see `reserveSync`). */
  commitSync?(request: StoreCommitRequest): StoreCommitResult
  /** Push a reservation's lease forward (long streams). Returns false when it is no longer open. */
  renew(request: {
    reservationId: string
    now: number
    leaseExpiresAt: number
    handle?: unknown
  }): Promise<boolean>
  /**
   * Current totals of the counters (over their windows), as reserve would see them. Reads may return
   * lapsed leases but must delete no counter.
   */
  read(request: { now: number; counters: readonly CounterCharge[] }): Promise<CounterState[]>
  /**
   * Every counter's own state (not summed over windows), for reports: counters of ended periods too,
   * until a write drops them. Must delete nothing (housekeeping happens on writes).
   */
  list(request: { now: number }): Promise<CounterState[]>
  dispose?(): Promise<void>
}
