import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { tallyFieldCount } from '@tokenwarden/core'

const usedColumns = Array.from({ length: tallyFieldCount }, (_, f) => `u${f}`)
const reservedColumns = Array.from({ length: tallyFieldCount }, (_, f) => `r${f}`)
const valueColumns = [...usedColumns, ...reservedColumns]

/** The prepared statements of one store, over its three tables. */
export interface SqliteStatements {
  /** `[u0…u8, r0…r8, granted]` of one counter (`granted`: JSON of 9 numbers, or null when none). */
  selectCounter: StatementSync
  /** `[key, u0…u8, r0…r8, granted]` of every counter. */
  selectCounters: StatementSync
  /**
   * Writes a counter's values (key, expires_at, 18 values, granted); keeps the expiry of an existing
   * row.
   */
  upsertCounter: StatementSync
  /** Drops counters whose period ended (`expires_at <= now`). */
  pruneCounters: StatementSync
  /**
   * `[id, keys, amount]` of every lease that lapsed (`expires_at <= now`), and of remembered closed ids
   * past their retention (`amount` is `'closed'` or `'lapsed'`, `expires_at` when to forget them).
   */
  selectLapsed: StatementSync
  /** `[keys, amount]` of one lease. */
  selectLease: StatementSync
  insertLease: StatementSync
  deleteLease: StatementSync
  /** `[forget_at]` of a remembered grant id. */
  selectGrant: StatementSync
  /** Remembers a grant id: (id, forget_at). */
  insertGrant: StatementSync
  /** Forgets grant ids past their retention: (now). */
  pruneGrants: StatementSync
  /** Moves an open lease's expiry: (expires_at, id, now). */
  renewLease: StatementSync
  /** Sets what an open lease holds: (amount, id). */
  updateLeaseAmount: StatementSync
  /** Turns a lease row into a closed or lapsed mark in place: (expires_at, mark, id). */
  markLease: StatementSync
}

/**
 * `PRAGMA journal_mode = WAL`, tried again while other connections switch the same new file: SQLite then
 * answers `SQLITE_BUSY` at once, without waiting for `busy_timeout` (processes starting together would
 * otherwise fail their first operation). Gives up after `busyTimeoutMs`, as a busy wait would.
 */
function enableWal(db: DatabaseSync, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs
  for (let waitMs = 1; ; waitMs = Math.min(waitMs * 2, 50)) {
    try {
      db.exec('PRAGMA journal_mode = WAL')
      return
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error
      Atomics.wait(pause, 0, 0, waitMs) // the connection is synchronous: a blocking pause, as busy_timeout's
    }
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4))

/** `SQLITE_BUSY` (5) or `SQLITE_LOCKED` (6), extended codes included. */
function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | null)?.errcode
  return typeof code === 'number' && ((code & 0xff) === 5 || (code & 0xff) === 6)
}

/**
 * Sets up the connection (WAL, busy timeout, durability), creates the tables if needed and prepares the
 * statements. Counters hold used (`u*`) and reserved (`r*`) values in `tallyFields` order, and what grants
 * added to their caps (`granted`, JSON of 9 numbers in that order; null when none: a column added to
 * tables of older versions, whose writes keep it).
 *
 * @example
 * const statements = prepareSqlite(db, { tablePrefix: 'tokenwarden', busyTimeoutMs: 5000, synchronous: 'normal' })
 */
export function prepareSqlite(
  db: DatabaseSync,
  {
    tablePrefix,
    busyTimeoutMs,
    synchronous,
  }: { tablePrefix: string; busyTimeoutMs: number; synchronous: 'normal' | 'full' },
): SqliteStatements {
  db.exec(`PRAGMA busy_timeout = ${Math.floor(busyTimeoutMs)}`)
  enableWal(db, busyTimeoutMs)
  db.exec(`PRAGMA synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
  const counters = `${tablePrefix}_counters`
  const leases = `${tablePrefix}_leases`
  const grants = `${tablePrefix}_grants`
  const columnsDefinition = valueColumns.map((column) => `${column} REAL NOT NULL DEFAULT 0`).join(', ')
  db.exec('BEGIN IMMEDIATE')
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS ${counters} (key TEXT PRIMARY KEY, expires_at REAL, ${columnsDefinition}) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS ${counters}_expires ON ${counters} (expires_at) WHERE expires_at IS NOT NULL;
    CREATE TABLE IF NOT EXISTS ${leases} (id TEXT PRIMARY KEY, expires_at REAL NOT NULL, keys TEXT NOT NULL, amount TEXT NOT NULL) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS ${leases}_expires ON ${leases} (expires_at);
    CREATE TABLE IF NOT EXISTS ${grants} (id TEXT PRIMARY KEY, forget_at REAL NOT NULL) WITHOUT ROWID;`)
    const columns = db.prepare(`PRAGMA table_info(${counters})`).all() as { name: string }[]
    if (!columns.some((column) => column.name === 'granted'))
      db.exec(`ALTER TABLE ${counters} ADD COLUMN granted TEXT`)
    db.exec('COMMIT')
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK')
    throw error
  }
  const values = [...valueColumns, 'granted'].join(', ')
  const placeholders = [...valueColumns, 'granted'].map(() => '?').join(', ')
  const updates = [...valueColumns, 'granted'].map((column) => `${column} = excluded.${column}`).join(', ')
  const statements: SqliteStatements = {
    selectCounter: db.prepare(`SELECT ${values} FROM ${counters} WHERE key = ?`),
    selectCounters: db.prepare(`SELECT key, ${values} FROM ${counters}`),
    upsertCounter: db.prepare(
      `INSERT INTO ${counters} (key, expires_at, ${values}) VALUES (?, ?, ${placeholders})
       ON CONFLICT (key) DO UPDATE SET ${updates}`,
    ),
    pruneCounters: db.prepare(`DELETE FROM ${counters} WHERE expires_at <= ?`),
    selectLapsed: db.prepare(`SELECT id, keys, amount FROM ${leases} WHERE expires_at <= ?`),
    selectLease: db.prepare(`SELECT keys, amount FROM ${leases} WHERE id = ?`),
    insertLease: db.prepare(
      `INSERT OR REPLACE INTO ${leases} (id, expires_at, keys, amount) VALUES (?, ?, ?, ?)`,
    ),
    deleteLease: db.prepare(`DELETE FROM ${leases} WHERE id = ?`),
    renewLease: db.prepare(
      `UPDATE ${leases} SET expires_at = ? WHERE id = ? AND expires_at > ? AND amount NOT IN ('closed', 'lapsed')`,
    ),
    selectGrant: db.prepare(`SELECT forget_at FROM ${grants} WHERE id = ?`),
    insertGrant: db.prepare(`INSERT OR REPLACE INTO ${grants} (id, forget_at) VALUES (?, ?)`),
    pruneGrants: db.prepare(`DELETE FROM ${grants} WHERE forget_at <= ?`),
    updateLeaseAmount: db.prepare(`UPDATE ${leases} SET amount = ? WHERE id = ?`),
    markLease: db.prepare(`UPDATE ${leases} SET expires_at = ?, keys = '[]', amount = ? WHERE id = ?`),
  }
  for (const statement of [
    statements.selectCounter,
    statements.selectCounters,
    statements.selectLapsed,
    statements.selectLease,
    statements.selectGrant,
  ]) {
    statement.setReturnArrays(true)
  }
  return statements
}
