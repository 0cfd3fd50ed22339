import { existsSync, statSync } from 'node:fs'
import type { BudgetStore } from '@tokenwarden/core'
import { redisStore } from '@tokenwarden/redis'
import { sqliteStore } from '@tokenwarden/sqlite'
import { CliError } from './cli-error.ts'
import type { StoreLocation } from './parse-store-url.ts'

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** SQLite: the table prefix; Redis: the key prefix. @default 'tokenwarden' */
  prefix?: string
  /** How long a Redis operation may wait, in ms. @default 5000 */
  timeoutMs?: number
}

/**
 * Opens the budget store at `location` for reading. A SQLite file must exist and hold the tables of
 * `prefix` (the CLI never creates a database); a Redis store connects lazily, without retries past
 * `timeoutMs`. Reads delete nothing: counters of ended periods stay until a budget process writes (lapsed
 * reservations are returned, as any process using the store would see them).
 *
 * @example
 * const store = await openStore(parseStoreUrl('sqlite:./budget.db'))
 * const counters = await store.list({ now: Date.now() })
 * await store.dispose?.()
 */
export async function openStore(
  location: StoreLocation,
  { prefix, timeoutMs = 5000 }: OpenStoreOptions = {},
): Promise<BudgetStore> {
  if (location.kind === 'sqlite') {
    const tablePrefix = prefix ?? 'tokenwarden'
    // Created first: it checks the runtime (node:sqlite) before anything here uses it.
    const store = sqliteStore({ path: location.path, tablePrefix, busyTimeoutMs: timeoutMs })
    assertSqliteBudget(location.path, tablePrefix)
    return store
  }
  return redisStore({
    url: location.url,
    prefix: prefix ?? 'tokenwarden',
    timeoutMs,
    redisOptions: {
      enableAutoPipelining: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => (attempt > 2 ? null : 100 * attempt),
    },
  })
}

function assertSqliteBudget(path: string, tablePrefix: string): void {
  if (!existsSync(path)) {
    throw new CliError({ code: 'missing_file', message: `no such SQLite file: ${path}` })
  }
  if (!statSync(path).isFile()) {
    throw new CliError({ code: 'missing_file', message: `not a file: ${path}` })
  }
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite')
  let tables: unknown[]
  try {
    const db = new DatabaseSync(path, { readOnly: true })
    try {
      tables = db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`)
        .all(`${tablePrefix}_counters`)
    } finally {
      db.close()
    }
  } catch (cause) {
    throw new CliError({
      code: 'invalid_file',
      message: `cannot read ${path} as a SQLite database: ${(cause as Error).message}`,
      cause,
    })
  }
  if (tables.length === 0) {
    throw new CliError({
      code: 'invalid_file',
      message: `${path} holds no tokenwarden budget (no table ${tablePrefix}_counters; see --prefix)`,
    })
  }
}
