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
  /**
   * Optional: the lowest `used` total per unit (over the window) from which the caller needs this
   * counter's state back (the budget engine: its limit's lowest threshold). See `watchedOnly`.
   */
  watch?: Readonly<Partial<Record<LimitUnit, number>>>
}

/** A counter's state: settled usage and usage held by open reservations. */
export interface CounterState {
  key: string
  used: Tally
  reserved: Tally
  /**
   * Allowance added to the counter's caps by grants (`BudgetStore.grant`), per unit; omitted (or empty)
   * when the counter has none. Over the window, like `used`.
   */
  granted?: Readonly<Partial<Record<LimitUnit, number>>>
}

/** Which cap refused a reservation, with the counter's totals at that moment. */
export interface StoreDenial {
  /** Index into `counters` of the request. */
  index: number
  unit: LimitUnit
  used: number
  reserved: number
  /** The unit's granted allowance (over the window) that the refused cap included; omitted when none. */
  granted?: number
}

/**
 * Raise one counter's caps for as long as the counter lives (its period): after the grant, a reserve
 * on it is refused only past `cap + granted` in each unit. Creates the counter when it does not exist
 * yet (with the charge's `expiresAt`). Applied at most once per `grantId` (remembered like a closed
 * reservation id, for the store's retention). Amounts are finite and above 0 (the budget validates).
 *
 * @example
 * await store.grant({ grantId: 'g-1', now: Date.now(), counter: charge, amount: { tokens: 5000 } })
 */
export interface StoreGrantRequest {
  /** Idempotency key: the store applies a grant id at most once. */
  grantId: string
  now: number
  /** The counter to raise; its `caps` and `window` are read like a reserve's (the state is over the window). */
  counter: CounterCharge
  amount: Readonly<Partial<Record<LimitUnit, number>>>
}

/**
 * The counter after a grant (totals over its window, `granted` included).
 *
 * @example
 * const { counter, alreadyApplied } = await store.grant({ grantId: 'g-1', now, counter: charge, amount: { tokens: 5000 } })
 */
export interface StoreGrantResult {
  counter: CounterState
  /** `true` when a grant with this `grantId` was already applied: this one added nothing. */
  alreadyApplied: boolean
}

/**
 * Reserve `amount` on every counter at once, or on none. Idempotent by `reservationId`: a reservation the
 * store already holds, or closed within its retention, is not held again (`alreadyApplied: true`).
 */
export interface StoreReserveRequest {
  reservationId: string
  now: number
  /** When the reservation lapses and its amount returns to the counters (epoch ms). */
  leaseExpiresAt: number
  counters: readonly CounterCharge[]
  amount: Tally
  /** `false` (warn and dry-run modes): apply even when a cap would be passed, and report it. */
  enforce: boolean
  /**
   * Optional hint from an in-process caller (the budget engine): this id is new and this request is not
   * sent again (a retry of its commit passes the `handle`). A store whose driver can resend a request
   * (Redis, SQLite) must ignore it; the memory store then skips its lookup by id on the hot path.
   */
  once?: boolean
  /**
   * Optional hint: the caller reads `counters` only when some counter's `used` (after the operation)
   * reached one of its `watch` levels. A store may then return `counters` empty when none did (the
   * memory store does, and so builds no state on most calls); a store may ignore it and return every
   * state.
   */
  watchedOnly?: boolean
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
      /**
       * Optional: `true` when the store already had this reservation id (open, or closed within its
       * retention): a redelivered reserve that held nothing more. `counters` are the current totals.
       */
      alreadyApplied?: boolean
    }
  | { ok: false; denial: StoreDenial }

/**
 * Close a reservation and add usage in one step. `usage: null` releases (adds nothing). A reservation
 * that already lapsed is not an error: the usage is still added.
 *
 * Applied at most once per `reservationId`: the store remembers each id it closed (settled, released,
 * lapsed then settled, or a usage record) for a retention window, and a second delivery of a commit for
 * an id it closed adds nothing (`alreadyApplied: true`). A commit of an id the store does not know (never
 * reserved, or forgotten after the retention) adds its usage and is then remembered: `budget.record()`
 * sends a fresh id this way, so a redelivered record counts once. `reservationId: null` records usage
 * without an id (not deduplicated).
 */
export interface StoreCommitRequest {
  reservationId: string | null
  now: number
  counters: readonly CounterCharge[]
  usage: Tally | null
  /** The `handle` reserve returned for this reservation, if any. Stores must not rely on it. */
  handle?: unknown
  /**
   * Optional: open reservations this usage is drawn from (a child budget's holds on its parent, one
   * group per level of nesting). Each group gives back `usage` once, drawn from its ids in order: each
   * id gives back what is left of `usage` (per field, at most what it still holds) and stays open. In
   * the same atomic operation, applied only when this commit is (not on a redelivery). Ids that are not
   * open are skipped.
   */
  drawFrom?: readonly (readonly string[])[]
  /**
   * Optional hint from an in-process caller: `reservationId` is a new operation id (a usage record) that
   * is not sent again. Stores whose driver can resend must ignore it (see `StoreReserveRequest.once`).
   */
  once?: boolean
  /** Optional hint: `counters` may be empty when no `watch` level was reached (see the reserve request's). */
  watchedOnly?: boolean
}

/** The counters after a commit (totals over their windows), and whether the reservation was still open. */
export interface StoreCommitResult {
  counters: CounterState[]
  /** The reservation was open (not lapsed, not closed) and this commit closed it. */
  reservationFound: boolean
  /**
   * `true` when an earlier commit of this `reservationId` was already applied (a redelivery or a retry):
   * this one added and returned nothing, and `reservationFound` is `false`. Optional for stores written
   * before idempotency (treated as `false`).
   */
  alreadyApplied?: boolean
}

/**
 * Where budgets live. Every method is one atomic operation, so a Redis Lua script or a SQLite transaction
 * can implement it in one round trip; `memoryStore()` is the reference. Run `testBudgetStore` from
 * `@tokenwarden/core/test` against any implementation.
 *
 * Every operation is idempotent by reservation id, because drivers redeliver (ioredis resends a command
 * that got no answer after a reconnect) and callers retry (a settle whose reply was lost): `reserve` of
 * an id the store holds or closed holds nothing more; `commit` of an id it closed adds nothing; `renew`
 * sets an absolute expiry. Closed ids are remembered for a bounded retention (a store option), after
 * which a redelivered commit would count again: keep the retention above how long your driver can hold a
 * command.
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
   * `reserve` when present (one await less per call); it must behave exactly like `reserve`. Its
   * result may be an object the store keeps using (the memory store returns its lease): read it, do
   * not keep, spread or change it.
   */
  reserveSync?(request: StoreReserveRequest): StoreReserveResult
  /** Optional, for in-process stores: `commit` without a promise (see `reserveSync`). */
  commitSync?(request: StoreCommitRequest): StoreCommitResult
  /**
   * Push a reservation's lease forward (long streams) to the absolute `leaseExpiresAt` (so a repeated
   * renew is harmless). Returns false when it is no longer open.
   */
  renew(request: {
    reservationId: string
    now: number
    leaseExpiresAt: number
    handle?: unknown
  }): Promise<boolean>
  /**
   * Optional: raise a counter's caps (see {@link StoreGrantRequest}); `budget.grant()` needs it and
   * refuses with a typed error on a store without it. One atomic operation, idempotent by `grantId`.
   */
  grant?(request: StoreGrantRequest): Promise<StoreGrantResult>
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
