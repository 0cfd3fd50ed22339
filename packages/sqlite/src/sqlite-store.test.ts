import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import type { StoreUnavailableEvent } from '@tokenwarden/core'
import {
  BudgetValidationError,
  type CounterCharge,
  createBudget,
  emptyTally,
  StoreUnavailableError,
  type Tally,
} from '@tokenwarden/core'
import { testBudgetStore } from '@tokenwarden/core/test'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore } from './sqlite-store.ts'

const directory = mkdtempSync(join(tmpdir(), 'tokenwarden-sqlite-'))
let fileCount = 0
const freshPath = () => join(directory, `store-${fileCount++}.db`)
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const t0 = Date.UTC(2026, 0, 1)
const tally = (values: Partial<Tally>): Tally => ({ ...emptyTally(), ...values })
const counter = (key: string, tokens: number): CounterCharge => ({ key, caps: { tokens }, expiresAt: null })

testBudgetStore({
  name: 'sqlite',
  createStore: () => sqliteStore({ path: freshPath() }),
  additionalTests() {
    describe('sqliteStore', () => {
      describe('durability', () => {
        it('should keep usage and open reservations across a reopen of the file', async () => {
          const path = freshPath()
          const first = sqliteStore({ path })
          const counters = [counter('a', 100)]
          await first.commit({ reservationId: null, now: t0, counters, usage: tally({ tokens: 30 }) })
          await first.reserve({
            reservationId: 'r1',
            now: t0,
            leaseExpiresAt: t0 + 1000,
            counters,
            amount: tally({ tokens: 50 }),
            enforce: true,
          })
          await first.dispose?.()

          const second = sqliteStore({ path })
          const [state] = await second.read({ now: t0, counters })
          expect(state!.used.tokens).toBe(30)
          expect(state!.reserved.tokens).toBe(50)
          const [later] = await second.read({ now: t0 + 1000, counters })
          expect(later!.reserved.tokens).toBe(0)
          await second.dispose?.()
        })

        it('should use WAL mode on the file', async () => {
          const path = freshPath()
          const store = sqliteStore({ path })
          await store.list({ now: t0 })
          await store.dispose?.()
          const db = new DatabaseSync(path)
          expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' })
          db.close()
        })

        // Processes opening one new file at once: SQLite refuses all but one switch to WAL with
        // SQLITE_BUSY at once, without waiting for busy_timeout (seen with 4 processes of the benchmark).
        const busyOnWal = (db: DatabaseSync, refusals: number) => {
          const left = { refusals }
          const database = new Proxy(db, {
            get(target, name) {
              const value = Reflect.get(target, name, target)
              if (name !== 'exec') return typeof value === 'function' ? value.bind(target) : value
              return (sql: string) => {
                if (sql === 'PRAGMA journal_mode = WAL' && left.refusals-- > 0) {
                  // what node:sqlite throws for SQLITE_BUSY
                  const error = Object.assign(new Error('database is locked'), {
                    code: 'ERR_SQLITE_ERROR',
                    errcode: 5,
                    errstr: 'database is locked',
                  })
                  throw error
                }
                return target.exec(sql)
              }
            },
          })
          return { database, left }
        }

        it('should switch to WAL once the other connections did, however busy SQLite answers first', async () => {
          const db = new DatabaseSync(freshPath())
          const { database, left } = busyOnWal(db, 3)
          const store = sqliteStore({ database, busyTimeoutMs: 5_000 })
          await expect(store.list({ now: t0 })).resolves.toEqual([])
          expect(left.refusals).toBe(-1) // refused three times, then switched
          expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' })
          await store.dispose?.()
          db.close()
        })

        it('should give up switching to WAL after busyTimeoutMs, with a typed error', async () => {
          const db = new DatabaseSync(freshPath())
          const { database } = busyOnWal(db, Number.POSITIVE_INFINITY)
          const store = sqliteStore({ database, busyTimeoutMs: 50 })
          const started = Date.now()
          const error = await store.list({ now: t0 }).catch((caught: unknown) => caught)
          expect(StoreUnavailableError.isInstance(error)).toBe(true)
          expect((error as Error).message).toContain('database is locked')
          expect(Date.now() - started).toBeGreaterThanOrEqual(50)
          db.close()
        })

        it('should share one file between two stores', async () => {
          const path = freshPath()
          const a = sqliteStore({ path })
          const b = sqliteStore({ path })
          const counters = [counter('shared', 100)]
          const reserve = (store: typeof a, id: string) =>
            store.reserve({
              reservationId: id,
              now: t0,
              leaseExpiresAt: t0 + 60_000,
              counters,
              amount: tally({ tokens: 60 }),
              enforce: true,
            })
          expect((await reserve(a, 'ra')).ok).toBe(true)
          expect((await reserve(b, 'rb')).ok).toBe(false)
          const settled = await b.commit({
            reservationId: 'ra',
            now: t0,
            counters,
            usage: tally({ tokens: 20 }),
          })
          expect(settled).toMatchObject({ reservationFound: true, counters: [{ used: { tokens: 20 } }] })
          await a.dispose?.()
          await b.dispose?.()
        })
      })

      describe('options', () => {
        it('should name the field of bad options', () => {
          expect(() => sqliteStore({ path: '' })).toThrow(BudgetValidationError)
          try {
            sqliteStore({ path: freshPath(), tablePrefix: 'x; DROP TABLE y' })
            expect.unreachable()
          } catch (error) {
            expect(BudgetValidationError.isInstance(error) && error.field).toBe('tablePrefix')
          }
        })

        it('should keep budgets of two table prefixes apart in one file', async () => {
          const path = freshPath()
          const a = sqliteStore({ path, tablePrefix: 'team_a' })
          const b = sqliteStore({ path, tablePrefix: 'team_b' })
          const counters = [counter('k', 100)]
          await a.commit({ reservationId: null, now: t0, counters, usage: tally({ tokens: 9 }) })
          expect((await b.read({ now: t0, counters }))[0]!.used.tokens).toBe(0)
          await a.dispose?.()
          await b.dispose?.()
        })

        it('should forget closed reservation ids after retentionMs', async () => {
          const db = new DatabaseSync(':memory:')
          const store = sqliteStore({ database: db, retentionMs: 1000 })
          const counters = [counter('k', 100)]
          const commit = { reservationId: 'op-1', now: t0, counters, usage: tally({ tokens: 1 }) }
          await store.commit(commit)
          expect((await store.commit(commit)).alreadyApplied).toBe(true)
          expect(db.prepare('SELECT COUNT(*) AS n FROM tokenwarden_leases').get()).toEqual({ n: 1 })
          await store.read({ now: t0 + 1000, counters })
          expect(db.prepare('SELECT COUNT(*) AS n FROM tokenwarden_leases').get()).toEqual({ n: 0 })
          await store.dispose?.()
          db.close()
        })

        it('should accept an open database and leave it open', async () => {
          const db = new DatabaseSync(':memory:')
          const store = sqliteStore({ database: db })
          await store.commit({
            reservationId: null,
            now: t0,
            counters: [counter('k', 5)],
            usage: tally({ tokens: 1 }),
          })
          await store.dispose?.()
          expect(db.isOpen).toBe(true)
          db.close()
        })
      })

      describe('grants', () => {
        const reserveOn = (
          store: ReturnType<typeof sqliteStore>,
          id: string,
          charge: CounterCharge,
          tokens: number,
        ) =>
          store.reserve({
            reservationId: id,
            now: t0,
            leaseExpiresAt: t0 + 60_000,
            counters: [charge],
            amount: tally({ tokens }),
            enforce: true,
          })

        it('should apply a grant id once, for the retention', async () => {
          const store = sqliteStore({ path: freshPath(), retentionMs: 1000 })
          const charge = counter('once', 100)
          const request = { grantId: 'g1', now: t0, counter: charge, amount: { tokens: 50 } }
          expect((await store.grant!(request)).alreadyApplied).toBe(false)
          const again = await store.grant!(request)
          expect(again).toEqual({
            counter: { key: 'once', used: tally({}), reserved: tally({}), granted: { tokens: 50 } },
            alreadyApplied: true,
          })
          const later = await store.grant!({ ...request, now: t0 + 1000 })
          expect(later.alreadyApplied).toBe(false)
          expect(later.counter.granted).toEqual({ tokens: 100 })
          await store.dispose?.()
        })

        it('should let concurrent reservations of two stores take exactly cap + granted', async () => {
          const path = freshPath()
          const a = sqliteStore({ path })
          const b = sqliteStore({ path })
          const charge = counter('race', 100)
          await a.grant!({ grantId: 'g1', now: t0, counter: charge, amount: { tokens: 50 } })
          const results = await Promise.all(
            Array.from({ length: 200 }, (_, i) => reserveOn(i % 2 ? a : b, `r${i}`, charge, 1)),
          )
          expect(results.filter((result) => result.ok)).toHaveLength(150)
          const [state] = await a.read({ now: t0, counters: [charge] })
          expect(state!.reserved.tokens).toBe(150)
          await a.dispose?.()
          await b.dispose?.()
        })

        it('should add the grants column to a table of an older version and keep its rows', async () => {
          const db = new DatabaseSync(':memory:')
          const columns = Array.from(
            { length: 18 },
            (_, i) => `${i < 9 ? 'u' : 'r'}${i % 9} REAL NOT NULL DEFAULT 0`,
          )
          db.exec(
            `CREATE TABLE tokenwarden_counters (key TEXT PRIMARY KEY, expires_at REAL, ${columns.join(', ')}) WITHOUT ROWID`,
          )
          db.exec("INSERT INTO tokenwarden_counters (key, u0) VALUES ('old', 7)")
          const store = sqliteStore({ database: db })
          const charge = counter('old', 10)
          const { counter: state } = await store.grant!({
            grantId: 'g',
            now: t0,
            counter: charge,
            amount: { tokens: 5 },
          })
          expect(state).toEqual({
            key: 'old',
            used: tally({ tokens: 7 }),
            reserved: tally({}),
            granted: { tokens: 5 },
          })
          await store.dispose?.()
          db.close()
        })
      })

      describe('unavailable', () => {
        it('should fail closed with a typed error while another process holds the write lock', async () => {
          const path = freshPath()
          const events: StoreUnavailableEvent[] = []
          const store = sqliteStore({ path, busyTimeoutMs: 0, onUnavailable: (event) => events.push(event) })
          await store.list({ now: t0 })
          const locker = new DatabaseSync(path)
          locker.exec('BEGIN IMMEDIATE')
          try {
            const error = await store
              .reserve({
                reservationId: 'r1',
                now: t0,
                leaseExpiresAt: t0 + 1000,
                counters: [counter('a', 10)],
                amount: tally({ tokens: 1 }),
                enforce: true,
              })
              .catch((caught: unknown) => caught)
            expect(StoreUnavailableError.isInstance(error)).toBe(true)
            expect(error).toMatchObject({ store: 'sqlite', operation: 'reserve' })
            expect(events).toMatchObject([{ operation: 'reserve', failedOpen: false }])
          } finally {
            locker.exec('ROLLBACK')
            locker.close()
          }
          expect((await store.read({ now: t0, counters: [counter('a', 10)] }))[0]!.reserved.tokens).toBe(0)
          await store.dispose?.()
        })

        it('should let a call through with an event when failing open, and recover', async () => {
          const path = freshPath()
          const events: StoreUnavailableEvent[] = []
          const store = sqliteStore({
            path,
            busyTimeoutMs: 0,
            failOpen: true,
            onUnavailable: (event) => events.push(event),
          })
          const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100 }], store, now: () => t0 })
          await budget.status({ thread: 't' })
          const locker = new DatabaseSync(path)
          locker.exec('BEGIN IMMEDIATE')
          const open = await budget.reserve({ thread: 't' }, { inputTokens: 10, maxOutputTokens: 10 })
          await open.settle({ inputTokens: 10, outputTokens: 5 })
          locker.exec('ROLLBACK')
          locker.close()
          expect(events.map((event) => [event.operation, event.failedOpen])).toEqual([
            ['reserve', true],
            ['commit', true],
          ])
          const r = await budget.reserve({ thread: 't' }, { inputTokens: 10, maxOutputTokens: 10 })
          await r.settle({ inputTokens: 10, outputTokens: 10 })
          const [status] = await budget.status({ thread: 't' })
          expect(status).toMatchObject({ used: 20, reserved: 0 })
          await budget.dispose()
        })
      })
    })
  },
})
