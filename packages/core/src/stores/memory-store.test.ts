import { describe, expect, it } from 'vitest'
import { testBudgetStore } from '../test/index.ts'
import { emptyTally } from '../usage/tally.ts'
import { memoryStore } from './memory-store.ts'

const t0 = Date.UTC(2026, 0, 1)
const counters = [{ key: 'a', caps: { tokens: 1_000_000 }, expiresAt: null }]
const usage = { ...emptyTally(), tokens: 1 }
const held = (n: number) => ({ ...emptyTally(), tokens: n })

testBudgetStore({
  name: 'memory',
  createStore: () => memoryStore(),
  additionalTests() {
    describe('memoryStore', () => {
      describe('retention', () => {
        it('should forget closed ids after retentionMs and beyond maxRetained', async () => {
          const store = memoryStore({ retentionMs: 1000, maxRetained: 2 })
          for (const id of ['op-1', 'op-2', 'op-3'])
            await store.commit({ reservationId: id, now: t0, counters, usage })
          // op-1 was forgotten (count cap), op-3 is remembered
          expect(
            (await store.commit({ reservationId: 'op-3', now: t0, counters, usage })).alreadyApplied,
          ).toBe(true)
          expect(
            (await store.commit({ reservationId: 'op-1', now: t0, counters, usage })).alreadyApplied,
          ).toBe(undefined)
          // after the retention, every id is forgotten
          const late = await store.commit({ reservationId: 'op-3', now: t0 + 1000, counters, usage })
          expect(late.alreadyApplied).toBe(undefined)
          expect(late.counters[0]!.used.tokens).toBe(5)
        })
      })

      describe('counters', () => {
        it('should start a counter over under its key once its period ended, whichever was looked up last', async () => {
          const store = memoryStore()
          const until = (expiresAt: number) => [{ key: 'a', caps: { tokens: 150 }, expiresAt }]
          await store.commit({ reservationId: null, now: t0, counters: until(t0 + 1000), usage: held(100) })
          // the period ended: the next write drops the counter, and 'a' is a new counter from zero
          const next = { reservationId: 'r2', leaseExpiresAt: t0 + 9000, enforce: true, once: true }
          const result = await store.reserve({
            ...next,
            now: t0 + 2000,
            counters: until(t0 + 5000),
            amount: held(100),
          })
          expect(result.ok).toBe(true)
          const [state] = await store.read({ now: t0 + 2000, counters: until(t0 + 5000) })
          expect(state!.used.tokens).toBe(0)
          expect(state!.reserved.tokens).toBe(100)
        })
      })

      describe('results', () => {
        it('should give reserve callers a plain result they can spread, serialize and commit with', async () => {
          const store = memoryStore()
          const request = {
            reservationId: 'r1',
            now: t0,
            leaseExpiresAt: t0 + 1000,
            counters,
            amount: usage,
            enforce: true,
          }
          const result = await store.reserve({ ...request, once: true, watchedOnly: true })
          expect({ ...result }).toMatchObject({ ok: true, counters: [], exceeded: undefined })
          expect(JSON.parse(JSON.stringify({ ok: result.ok }))).toEqual({ ok: true })
          const handle = result.ok ? result.handle : undefined
          const closed = await store.commit({ reservationId: 'r1', now: t0, counters, usage: null, handle })
          expect(closed.reservationFound).toBe(true)
        })
      })

      describe('lease queue', () => {
        const reserved = async (store: ReturnType<typeof memoryStore>, now: number) =>
          (await store.read({ now, counters }))[0]!.reserved.tokens

        it('should still lapse the open leases behind closed ones it passed', async () => {
          const store = memoryStore()
          const reserve = (id: string, n: number, leaseMs: number) =>
            store.reserve({
              reservationId: id,
              now: t0,
              leaseExpiresAt: t0 + leaseMs,
              counters,
              amount: held(n),
              enforce: true,
              once: true,
            })
          const first = await reserve('r-1', 1, 1000)
          await reserve('r-2', 10, 1000)
          await reserve('r-3', 100, 5000)
          // closing the front lease, then an operation that passes it
          await store.commit({
            reservationId: 'r-1',
            now: t0,
            counters,
            usage: null,
            handle: first.ok ? first.handle : undefined,
          })
          await store.commit({ reservationId: 'x', now: t0 + 1, counters, usage: null })
          expect(await reserved(store, t0 + 2)).toBe(110)
          expect(await reserved(store, t0 + 1000)).toBe(100)
          expect(await reserved(store, t0 + 5000)).toBe(0)
        })

        it('should lapse the leases queued after the queue emptied and started over', async () => {
          const store = memoryStore()
          const reserve = async (id: string, n: number, now: number, leaseMs: number) => {
            const result = await store.reserve({
              reservationId: id,
              now,
              leaseExpiresAt: now + leaseMs,
              counters,
              amount: held(n),
              enforce: true,
              once: true,
            })
            return result.ok ? result.handle : undefined
          }
          const close = (id: string, handle: unknown, now: number) =>
            store.commit({ reservationId: id, now, counters, usage: null, handle })
          // a burst larger than the queue keeps, all closed: the next reserve starts over
          const burst = []
          for (let i = 0; i < 1500; i++) burst.push(await reserve(`b-${i}`, 1, t0, 60_000))
          for (let i = 0; i < 1500; i++) await close(`b-${i}`, burst[i], t0)
          expect(await reserved(store, t0)).toBe(0)
          // pairs, each closed before the next opens, then one left open behind a closed one
          for (let i = 0; i < 3; i++) await close(`p-${i}`, await reserve(`p-${i}`, 2, t0 + 1, 1000), t0 + 1)
          const first = await reserve('r-1', 10, t0 + 2, 1000)
          await reserve('r-2', 100, t0 + 2, 2000)
          await close('r-1', first, t0 + 3)
          expect(await reserved(store, t0 + 3)).toBe(100)
          expect(await reserved(store, t0 + 2002)).toBe(0)
        })

        it('should lapse a renewed lease at its new expiry, not its first', async () => {
          const store = memoryStore()
          await store.reserve({
            reservationId: 'r-1',
            now: t0,
            leaseExpiresAt: t0 + 1000,
            counters,
            amount: held(7),
            enforce: true,
          })
          expect(await store.renew({ reservationId: 'r-1', now: t0 + 500, leaseExpiresAt: t0 + 3000 })).toBe(
            true,
          )
          await store.commit({ reservationId: 'x', now: t0 + 1500, counters, usage: null })
          expect(await reserved(store, t0 + 1500)).toBe(7)
          expect(await reserved(store, t0 + 3000)).toBe(0)
        })
      })

      describe('watchedOnly', () => {
        const watched = [
          { key: 'w', caps: { tokens: 100 }, expiresAt: null, watch: { tokens: 75 } },
          { key: 'track', caps: null, expiresAt: null },
        ]
        const tokens = (n: number) => ({ ...emptyTally(), tokens: n, requests: 1 })

        it('should return no states while no counter stands at its watch level, and every state from it on', async () => {
          const store = memoryStore()
          const reserve = (id: string, n: number) =>
            store.reserve({
              reservationId: id,
              now: t0,
              leaseExpiresAt: t0 + 60_000,
              counters: watched,
              amount: tokens(n),
              enforce: true,
              watchedOnly: true,
            })
          const below = await reserve('r-1', 50)
          expect(below.ok && below.counters).toEqual([])
          const settled = await store.commit({
            reservationId: 'r-1',
            now: t0,
            counters: watched,
            usage: tokens(74),
            watchedOnly: true,
          })
          expect(settled.counters).toEqual([])
          const reached = await store.commit({
            reservationId: 'r-2',
            now: t0,
            counters: watched,
            usage: tokens(1),
            watchedOnly: true,
          })
          expect(reached.counters.map((c) => [c.key, c.used.tokens])).toEqual([
            ['w', 75],
            ['track', 75],
          ])
          const held = await reserve('r-3', 10)
          expect(held.ok && held.counters.map((c) => c.reserved.tokens)).toEqual([10, 10])
        })

        it('should sum a rolling window before comparing with the watch level', async () => {
          const store = memoryStore()
          await store.commit({
            reservationId: 'old',
            now: t0,
            counters: [{ key: 'w-0', caps: null, expiresAt: null }],
            usage: tokens(70),
          })
          const window = [
            { key: 'w-1', caps: { tokens: 100 }, window: ['w-0'], expiresAt: null, watch: { tokens: 75 } },
          ]
          const commit = (id: string, n: number) =>
            store.commit({
              reservationId: id,
              now: t0,
              counters: window,
              usage: tokens(n),
              watchedOnly: true,
            })
          expect((await commit('a', 4)).counters).toEqual([])
          expect((await commit('b', 1)).counters[0]!.used.tokens).toBe(75)
        })

        it('should return every state without the hint', async () => {
          const store = memoryStore()
          const result = await store.commit({
            reservationId: 'a',
            now: t0,
            counters: watched,
            usage: tokens(1),
          })
          expect(result.counters).toHaveLength(2)
        })
      })
    })
  },
})
