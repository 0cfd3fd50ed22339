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
  grants: false, // until the store implements BudgetStore.grant (branch redis-grant)
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
