import type { DatabaseSync } from 'node:sqlite'
import type { StoreUnavailableEvent } from '@tokenwarden/core'
import {
  type BudgetStore,
  BudgetValidationError,
  type CounterState,
  emptyCounterState,
  failPolicy,
  type StoreCommitResult,
  type StoreGrantResult,
  type StoreReserveResult,
  tallyFieldCount,
  tallyToVector,
  vectorsToState,
} from '@tokenwarden/core'
import { loadNodeSqlite } from './load-node-sqlite.ts'
import { prepareSqlite, type SqliteStatements } from './sqlite-statements.ts'
import { closedMark, grantedOf, SqliteTransaction } from './sqlite-transaction.ts'

/**
 * Options of {@link sqliteStore}. Give `path` or an open `database`.
 *
 * @example
 * const options: SqliteStoreOptions = { path: './budgets.db', busyTimeoutMs: 2000, failOpen: false }
 */
export interface SqliteStoreOptions {
  /** The database file, created when missing. Processes that open the same file share its budgets. */
  path?: string
  /** An already open `node:sqlite` database (not closed by `dispose`). */
  database?: DatabaseSync
  /**
   * Prefix of the tables (`<prefix>_counters`, `<prefix>_leases`, `<prefix>_grants`).
   * @default 'tokenwarden'
   */
  tablePrefix?: string
  /**
   * How long an operation waits for another process's transaction before the store counts as
   * unavailable, in ms. The wait blocks this process's event loop (`node:sqlite` is synchronous).
   * @default 5000
   */
  busyTimeoutMs?: number
  /**
   * `normal` survives a killed process (WAL); `full` also survives a power loss, at a cost per write.
   * @default 'normal'
   */
  synchronous?: 'normal' | 'full'
  /**
   * When the database cannot be used (locked past `busyTimeoutMs`, I/O error): `false` throws
   * `StoreUnavailableError` (fail-closed); `true` lets calls through unbudgeted (fail-open).
   * @default false
   */
  failOpen?: boolean
  /** Called on every failure, in both modes (fail-open's event). */
  onUnavailable?: (event: StoreUnavailableEvent) => void
  /**
   * Largest rounding error tolerated when comparing USD amounts.
   * @default 1e-9
   */
  epsilon?: number
  /**
   * How long the id of a closed reservation (or recorded usage) is remembered, so a repeated commit of
   * it (a retried settle) adds nothing, in ms of the budget's clock. One small row per id.
   * @default 60_000
   */
  retentionMs?: number
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/**
 * A durable budget store in a SQLite file (`node:sqlite`, WAL mode). Each reserve, commit and renew is
 * one `BEGIN IMMEDIATE` transaction, so processes on one machine can share one file safely, and settled
 * usage survives restarts and crashes.
 *
 * @example
 * import { createBudget } from '@tokenwarden/core'
 * import { sqliteStore } from '@tokenwarden/sqlite'
 *
 * const budget = createBudget({
 *   limits: [{ scope: 'global', costUsd: 50, period: 'day' }],
 *   store: sqliteStore({ path: './budgets.db' }),
 * })
 */
export function sqliteStore(options: SqliteStoreOptions): BudgetStore {
  if (options === null || typeof options !== 'object') {
    throw new BudgetValidationError({
      field: 'options',
      value: options,
      reason: 'expected an options object',
    })
  }
  const { path, database, failOpen = false, onUnavailable, epsilon = 1e-9, retentionMs = 60_000 } = options
  const tablePrefix = options.tablePrefix ?? 'tokenwarden'
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000
  const synchronous = options.synchronous ?? 'normal'
  if (database === undefined && (typeof path !== 'string' || path.length === 0)) {
    throw new BudgetValidationError({
      field: 'path',
      value: path,
      reason: 'expected a file path (or pass `database`)',
    })
  }
  if (typeof tablePrefix !== 'string' || !identifier.test(tablePrefix)) {
    throw new BudgetValidationError({
      field: 'tablePrefix',
      value: tablePrefix,
      reason: 'expected letters, digits and underscores, not starting with a digit',
    })
  }
  if (!Number.isFinite(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new BudgetValidationError({
      field: 'busyTimeoutMs',
      value: busyTimeoutMs,
      reason: 'expected a number of ms ≥ 0',
    })
  }
  if (typeof retentionMs !== 'number' || !(retentionMs >= 0) || !Number.isFinite(retentionMs)) {
    throw new BudgetValidationError({
      field: 'retentionMs',
      value: retentionMs,
      reason: 'expected a finite number of ms ≥ 0',
    })
  }
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new BudgetValidationError({
      field: 'synchronous',
      value: synchronous,
      reason: "expected 'normal' or 'full'",
    })
  }
  // Checked here, not at the first call: failOpen must not turn a missing runtime into no budget at all.
  const nodeSqlite = loadNodeSqlite()
  const policy = failPolicy({ store: 'sqlite', failOpen, onUnavailable })
  // A grant that did not happen is never reported as applied, fail-open or not: it throws.
  const grantPolicy = failPolicy({ store: 'sqlite', failOpen: false, onUnavailable })
  let db: DatabaseSync | undefined = database
  let statements: SqliteStatements | undefined
  let disposed = false

  function connect(): SqliteStatements {
    if (statements !== undefined) return statements
    if (disposed) throw new Error('the store was disposed')
    db ??= new nodeSqlite.DatabaseSync(path!)
    statements = prepareSqlite(db, { tablePrefix, busyTimeoutMs, synchronous })
    return statements
  }

  /** Runs one operation in one write transaction; failures go through the fail policy. */
  function transact<T>(
    operation: string,
    now: number,
    run: (work: SqliteTransaction) => T,
    fallback: () => T,
    failure = policy,
  ): T {
    try {
      const prepared = connect()
      db!.exec('BEGIN IMMEDIATE')
      try {
        const work = new SqliteTransaction(prepared, now, epsilon, retentionMs)
        // Reads return lapsed leases but delete no counter: ended periods stay until the next write.
        work.sweep({ prune: operation !== 'read' && operation !== 'list' })
        const result = run(work)
        work.flush()
        db!.exec('COMMIT')
        return result
      } catch (error) {
        if (db!.isTransaction) db!.exec('ROLLBACK')
        throw error
      }
    } catch (error) {
      return failure.handle(operation, error, fallback)
    }
  }

  return {
    name: 'sqlite',

    async reserve({ reservationId, now, leaseExpiresAt, counters, amount, enforce }) {
      return transact<StoreReserveResult>(
        'reserve',
        now,
        (work) => {
          if (work.findLease(reservationId) !== undefined) {
            const states = counters.map((charge) => work.state(charge))
            return { ok: true, counters: states, exceeded: undefined, alreadyApplied: true }
          }
          const vector = tallyToVector(amount)
          const exceeded = work.check(counters, vector)
          if (exceeded !== undefined && enforce) return { ok: false, denial: exceeded }
          for (const charge of counters) work.add(charge, tallyFieldCount, vector)
          work.openLease(
            reservationId,
            leaseExpiresAt,
            counters.map((charge) => charge.key),
            vector,
          )
          return { ok: true, counters: counters.map((charge) => work.state(charge)), exceeded }
        },
        () => ({
          ok: true,
          counters: counters.map((charge) => emptyCounterState(charge.key)),
          exceeded: undefined,
        }),
      )
    },

    async commit({ reservationId, now, counters, usage, drawFrom }) {
      return transact<StoreCommitResult>(
        'commit',
        now,
        (work) => {
          let reservationFound = false
          if (reservationId !== null) {
            const lease = work.findLease(reservationId)
            if (lease === 'closed') {
              const states = counters.map((charge) => work.state(charge))
              return { counters: states, reservationFound: false, alreadyApplied: true }
            }
            if (lease !== undefined && lease !== 'lapsed') {
              work.returnLease(lease.keys, lease.amount)
              reservationFound = true
            }
            work.remember(reservationId, closedMark)
          }
          if (usage !== null) {
            const vector = tallyToVector(usage)
            for (const charge of counters) work.add(charge, 0, vector)
            if (drawFrom !== undefined) work.drawFrom(drawFrom, vector)
          }
          return { counters: counters.map((charge) => work.state(charge)), reservationFound }
        },
        () => ({
          counters: counters.map((charge) => emptyCounterState(charge.key)),
          reservationFound: false,
        }),
      )
    },

    async renew({ reservationId, now, leaseExpiresAt }) {
      return transact(
        'renew',
        now,
        (work) => work.renewLease(reservationId, leaseExpiresAt),
        () => true,
      )
    },

    async grant(request) {
      return transact<StoreGrantResult>(
        'grant',
        request.now,
        (work) => {
          const applied = work.grant(request)
          return { counter: work.state(request.counter), alreadyApplied: !applied }
        },
        () => ({ counter: emptyCounterState(request.counter.key), alreadyApplied: false }),
        grantPolicy,
      )
    },

    async read({ now, counters }) {
      return transact(
        'read',
        now,
        (work) => counters.map((charge) => work.state(charge)),
        () => counters.map((charge) => emptyCounterState(charge.key)),
      )
    },

    async list({ now }) {
      return transact<CounterState[]>(
        'list',
        now,
        (work) => {
          work.flush()
          const rows = connect().selectCounters.all() as unknown as [string, ...(number | string | null)[]][]
          return rows.map(([key, ...values]) => {
            const state = vectorsToState(
              key,
              values.slice(0, tallyFieldCount) as number[],
              values.slice(tallyFieldCount, 2 * tallyFieldCount) as number[],
            )
            const column = values[2 * tallyFieldCount]
            if (typeof column === 'string') {
              const amounts = JSON.parse(column) as number[]
              const granted = grantedOf((field) => amounts[field]!)
              if (granted !== undefined) state.granted = granted
            }
            return state
          })
        },
        () => [],
      )
    },

    async dispose() {
      disposed = true
      statements = undefined
      if (database === undefined && db?.isOpen) db.close()
      db = undefined
    },
  }
}
