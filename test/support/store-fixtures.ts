import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BudgetStore } from '@tokenwarden/core'
import { redisStore } from '@tokenwarden/redis'
import { startRedisServer } from '@tokenwarden/redis/testing'
import { sqliteStore } from '@tokenwarden/sqlite'

/** A budget store for one end-to-end run, and how to clean up after it. */
export interface OpenedStore {
  /** `undefined`: the budget's default memory store. */
  store: BudgetStore | undefined
  /** Removes what the store left behind (files, the Redis server); call after `budget.dispose()`. */
  close(): Promise<void>
}

/** A named way to open a store, for `describe.each`. */
export interface StoreFixture {
  name: string
  open(): Promise<OpenedStore>
}

/**
 * The stores the end-to-end runs cover: the memory store, a SQLite file in a fresh temporary directory,
 * and a real `redis-server` started for the run.
 *
 * @example
 * describe.each(storeFixtures)('on a $name', (fixture) => {
 *   beforeAll(async () => { opened = await fixture.open() })
 * })
 */
export const storeFixtures: readonly StoreFixture[] = [
  { name: 'memory store', open: async () => ({ store: undefined, close: async () => {} }) },
  {
    name: 'SQLite file',
    async open() {
      const directory = mkdtempSync(join(tmpdir(), 'tokenwarden-e2e-'))
      return {
        store: sqliteStore({ path: join(directory, 'budget.db') }),
        close: async () => rmSync(directory, { recursive: true, force: true }),
      }
    },
  },
  {
    name: 'real Redis',
    async open() {
      const redis = await startRedisServer()
      return { store: redisStore({ url: redis.url, prefix: 'e2e' }), close: () => redis.close() }
    },
  },
]
