import { encode } from '@msgpack/msgpack'
import { type CounterCharge, emptyTally, StoreUnavailableError, type Tally } from '@tokenwarden/core'
import { testBudgetStore } from '@tokenwarden/core/test'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { budgetFunction, budgetScriptSha } from './budget-script.ts'
import { redisStore } from './redis-store.ts'
import { type RedisServer, startRedisServer } from './testing/redis-server.ts'

let server: RedisServer
let admin: Redis
let storeCount = 0

beforeAll(async () => {
  server = await startRedisServer()
  admin = new Redis(server.url)
})

afterAll(async () => {
  await admin?.quit()
  await server?.close()
})

const t0 = Date.UTC(2026, 0, 1)
const tally = (values: Partial<Tally>): Tally => ({ ...emptyTally(), ...values })
const counter = (key: string, tokens: number): CounterCharge => ({ key, caps: { tokens }, expiresAt: null })

testBudgetStore({
  name: 'redis',
  createStore: () => redisStore({ url: server.url, prefix: `conformance-${storeCount++}` }),
  additionalTests() {
    describe('redisStore', () => {
      describe('keys', () => {
        it('should put every key of a budget under its hash tag and escape scope ids', async () => {
          const store = redisStore({ url: server.url, prefix: 'tagged' })
          await store.commit({
            reservationId: null,
            now: t0,
            counters: [counter('n|s|{x}:y z|0', 10)],
            usage: tally({ tokens: 1 }),
          })
          await store.reserve({
            reservationId: 'r1',
            now: t0,
            leaseExpiresAt: t0 + 1000,
            counters: [counter('n|s|{x}:y z|0', 10)],
            amount: tally({ tokens: 1 }),
            enforce: true,
          })
          const keys = (await admin.keys('*tagged*')).sort()
          expect(keys).toEqual([
            '{tagged}:c:n|s|%7Bx%7D%3Ay%20z|0',
            '{tagged}:due',
            '{tagged}:index',
            '{tagged}:leases',
            '{tagged}:r:r1',
          ])
          await store.dispose?.()
        })

        it('should let counters of a period expire on their own', async () => {
          const store = redisStore({ url: server.url, prefix: 'ttl' })
          const now = Date.now()
          await store.commit({
            reservationId: null,
            now,
            counters: [
              { key: 'day', caps: { tokens: 10 }, expiresAt: now + 3_600_000 },
              { key: 'forever', caps: null, expiresAt: null },
            ],
            usage: tally({ tokens: 1 }),
          })
          const dayTtl = await admin.pttl('{ttl}:c:day')
          expect(dayTtl).toBeGreaterThan(3_500_000)
          expect(dayTtl).toBeLessThanOrEqual(3_600_000)
          expect(await admin.pttl('{ttl}:c:forever')).toBe(-1)
          await store.dispose?.()
        })

        it('should keep the expiry of a counter written again, also when a grant lengthens its value', async () => {
          const store = redisStore({ url: server.url, prefix: 'ttl-again' })
          const now = Date.now()
          const day: CounterCharge = { key: 'day', caps: { tokens: 10 }, expiresAt: now + 3_600_000 }
          const commit = { reservationId: null, now, counters: [day], usage: tally({ tokens: 1 }) }
          await store.commit(commit)
          await admin.pexpire('{ttl-again}:c:day', 1_000_000)
          await store.commit(commit)
          await store.grant!({ grantId: 'g', now, counter: day, amount: { tokens: 5 } })
          await store.commit(commit)
          const ttl = await admin.pttl('{ttl-again}:c:day')
          expect(ttl).toBeGreaterThan(900_000)
          expect(ttl).toBeLessThanOrEqual(1_000_000)
          expect(await admin.strlen('{ttl-again}:c:day')).toBe(8 * 27)
          const [state] = await store.read({ now, counters: [day] })
          expect(state).toMatchObject({ used: { tokens: 3 }, granted: { tokens: 5 } })
          await store.dispose?.()
        })
      })

      describe('script', () => {
        it('should run as a function and load its library again after FUNCTION FLUSH', async () => {
          const store = redisStore({ url: server.url, prefix: 'function' })
          const counters = [counter('a', 100)]
          await store.commit({ reservationId: null, now: t0, counters, usage: tally({ tokens: 5 }) })
          await admin.function('FLUSH')
          const [state] = await store.read({ now: t0, counters })
          expect(state!.used.tokens).toBe(5)
          expect(JSON.stringify(await admin.function('LIST'))).toContain(budgetFunction)
          await store.dispose?.()
        })

        it('should run the script by SHA where functions are missing, loading it again after SCRIPT FLUSH', async () => {
          const old = await startRedisServer({ serverArgs: ['--rename-command', 'FCALL', ''] })
          const oldAdmin = new Redis(old.url)
          try {
            const store = redisStore({ url: old.url, prefix: 'noscript' })
            const counters = [counter('a', 100)]
            await store.commit({ reservationId: null, now: t0, counters, usage: tally({ tokens: 5 }) })
            await oldAdmin.script('FLUSH')
            expect(await oldAdmin.script('EXISTS', budgetScriptSha)).toEqual([0])
            const [state] = await store.read({ now: t0, counters })
            expect(state!.used.tokens).toBe(5)
            expect(await oldAdmin.script('EXISTS', budgetScriptSha)).toEqual([1])
            const grant = { grantId: 'g', now: t0, counter: counters[0]!, amount: { tokens: 10 } }
            expect((await store.grant!(grant)).counter.granted).toEqual({ tokens: 10 })
            expect((await store.grant!(grant)).alreadyApplied).toBe(true)
            await store.dispose?.()
          } finally {
            await oldAdmin.quit()
            await old.close()
          }
        })

        it('should forget closed reservation ids after retentionMs, and leave them to Redis to drop', async () => {
          const store = redisStore({ url: server.url, prefix: 'retention', retentionMs: 1000 })
          const counters = [counter('a', 100)]
          const commit = { reservationId: 'op-1', now: t0, counters, usage: tally({ tokens: 1 }) }
          await store.commit(commit)
          expect((await store.commit({ ...commit, now: t0 + 999 })).alreadyApplied).toBe(true)
          const ttl = await admin.pttl('{retention}:r:op-1')
          expect(ttl).toBeGreaterThan(0)
          expect(ttl).toBeLessThanOrEqual(1000)
          // the mark as earlier versions write and read it (a rolling deploy): `c` and the budget-clock time
          expect(await admin.get('{retention}:r:op-1')).toBe(`c${t0 + 1000}`)
          // no sorted-set entry or hash field per closed id: Redis expires the id's own key
          expect(await admin.zcard('{retention}:leases')).toBe(0)
          expect(await admin.exists('{retention}:records')).toBe(0)
          expect((await store.commit({ ...commit, now: t0 + 1000 })).alreadyApplied).toBeFalsy()
          const [state] = await store.read({ now: t0 + 1000, counters })
          expect(state!.used.tokens).toBe(2)
          await store.dispose?.()
        })

        it('should read counters and return leases written by the layout before (msgpack, lease hash)', async () => {
          // as 0.1 stored them: a counter as msgpack [used x9, reserved x9, expiry], a lease as a field of
          // {prefix}:records (msgpack [expiry, amount x9, counter keys]) queued by its bare id
          const zeros = new Array<number>(9).fill(0)
          const used = [...zeros]
          used[0] = 40
          const reserved = [...zeros]
          reserved[0] = 30
          await admin.set('{legacy}:c:a', Buffer.from(encode([...used, ...reserved, -1])))
          const amount = [...zeros]
          amount[0] = 30
          await admin.hset(
            '{legacy}:records',
            'old-1',
            Buffer.from(encode([t0 + 1000, ...amount, '{legacy}:c:a'])),
          )
          await admin.zadd('{legacy}:leases', t0 + 1000, 'old-1')
          const store = redisStore({ url: server.url, prefix: 'legacy' })
          const counters = [counter('a', 100)]
          const [before] = await store.read({ now: t0, counters })
          expect(before).toMatchObject({ used: { tokens: 40 }, reserved: { tokens: 30 } })
          await store.commit({ reservationId: null, now: t0, counters, usage: tally({ tokens: 5 }) })
          const [after] = await store.read({ now: t0 + 1000, counters })
          expect(after).toMatchObject({ used: { tokens: 45 }, reserved: { tokens: 0 } })
          expect(await admin.exists('{legacy}:records')).toBe(0)
          expect(await admin.zcard('{legacy}:leases')).toBe(0)
          await store.dispose?.()
        })

        it('should write a counter read as msgpack whole, as 19 doubles, even when the msgpack was longer', async () => {
          // fractional values: msgpack float64s, 166 bytes, longer than the 152 of 19 doubles
          const values = new Array<number>(19).fill(0.5)
          values[18] = -1
          await admin.set('{legacy-long}:c:a', Buffer.from(encode(values)))
          expect(await admin.strlen('{legacy-long}:c:a')).toBe(166)
          const store = redisStore({ url: server.url, prefix: 'legacy-long' })
          const counters = [counter('a', 100)]
          await store.commit({ reservationId: null, now: t0, counters, usage: tally({ tokens: 5 }) })
          expect(await admin.strlen('{legacy-long}:c:a')).toBe(152)
          const [state] = await store.read({ now: t0, counters })
          expect(state).toMatchObject({ used: { tokens: 5.5, inputTokens: 0.5 }, reserved: { tokens: 0.5 } })
          expect(state!.granted).toBeUndefined()
          await store.dispose?.()
        })

        it('should return a lapsed lease in the next commit once it is due, also after housekeeping ran', async () => {
          const store = redisStore({ url: server.url, prefix: 'due' })
          const counters = [counter('a', 100)]
          // housekeeping runs and notes that nothing is due
          await store.commit({ reservationId: null, now: t0, counters, usage: tally({ tokens: 1 }) })
          await store.reserve({
            reservationId: 'r1',
            now: t0,
            leaseExpiresAt: t0 + 1000,
            counters,
            amount: tally({ tokens: 30 }),
            enforce: true,
          })
          const before = await store.commit({ reservationId: null, now: t0 + 999, counters, usage: null })
          expect(before.counters[0]!.reserved.tokens).toBe(30)
          const after = await store.commit({ reservationId: null, now: t0 + 1000, counters, usage: null })
          expect(after.counters[0]!.reserved.tokens).toBe(0)
          // a renew to an earlier expiry is due then too
          await store.reserve({
            reservationId: 'r2',
            now: t0 + 1000,
            leaseExpiresAt: t0 + 60_000,
            counters,
            amount: tally({ tokens: 20 }),
            enforce: true,
          })
          await store.commit({ reservationId: null, now: t0 + 1001, counters, usage: null })
          expect(await store.renew({ reservationId: 'r2', now: t0 + 1001, leaseExpiresAt: t0 + 2000 })).toBe(
            true,
          )
          const renewed = await store.commit({ reservationId: null, now: t0 + 2000, counters, usage: null })
          expect(renewed.counters[0]!.reserved.tokens).toBe(0)
          await store.dispose?.()
        })

        it('should send no counter states back for watchedOnly operations until a watch level is reached', async () => {
          const store = redisStore({ url: server.url, prefix: 'watched' })
          const counters: CounterCharge[] = [
            { key: 'a', caps: { tokens: 100 }, expiresAt: null, watch: { tokens: 50 } },
            { key: 'b', caps: null, expiresAt: null },
          ]
          const reserved = await store.reserve({
            reservationId: 'r1',
            now: t0,
            leaseExpiresAt: t0 + 60_000,
            counters,
            amount: tally({ tokens: 30 }),
            enforce: true,
            watchedOnly: true,
          })
          expect(reserved).toMatchObject({ ok: true, counters: [] })
          const below = await store.commit({
            reservationId: 'r1',
            now: t0,
            counters,
            usage: tally({ tokens: 49 }),
            watchedOnly: true,
          })
          expect(below).toMatchObject({ reservationFound: true, counters: [] })
          const reached = await store.commit({
            reservationId: 'r2',
            now: t0,
            counters,
            usage: tally({ tokens: 1 }),
            watchedOnly: true,
          })
          expect(reached.counters.map((state) => state.used.tokens)).toEqual([50, 50])
          // without the hint every state comes back
          const all = await store.commit({
            reservationId: null,
            now: t0,
            counters: [counters[1]!],
            usage: null,
          })
          expect(all.counters.map((state) => state.used.tokens)).toEqual([50])
          await store.dispose?.()
        })

        it('should write nothing of an operation that raised, and apply the next one alone', async () => {
          const store = redisStore({ url: server.url, prefix: 'raised' })
          const counters = [counter('a', 100)]
          await store.commit({ reservationId: null, now: t0, counters, usage: tally({ tokens: 1 }) })
          // a reservation key of another type: the draw's GET raises after the usage was added in Lua
          await admin.hset('{raised}:r:bad', 'x', '1')
          const both = [...counters, counter('b', 100)]
          const draw = {
            reservationId: null,
            now: t0,
            counters: both,
            usage: tally({ tokens: 2 }),
            drawFrom: [['bad']],
          }
          await expect(store.commit(draw)).rejects.toThrow()
          await store.commit({ reservationId: null, now: t0, counters, usage: tally({ tokens: 4 }) })
          const states = await store.read({ now: t0, counters: both })
          expect(states.map((state) => state.used.tokens)).toEqual([5, 0])
          await store.dispose?.()
        })

        it('should keep exact USD amounts through the script', async () => {
          const store = redisStore({ url: server.url, prefix: 'usd' })
          const counters: CounterCharge[] = [{ key: 'a', caps: { costUsd: 0.3 }, expiresAt: null }]
          for (const costUsd of [0.1, 0.2]) {
            await store.commit({ reservationId: null, now: t0, counters, usage: tally({ costUsd }) })
          }
          const [state] = await store.read({ now: t0, counters })
          expect(state!.used.costUsd).toBe(0.1 + 0.2)
          await store.dispose?.()
        })
      })

      describe('grants', () => {
        let grantStores = 0
        const reserveOn = (
          store: ReturnType<typeof redisStore>,
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

        it('should apply a grant id once, for the retention, and leave the id to Redis to drop', async () => {
          const prefix = `grants-${grantStores++}`
          const store = redisStore({ url: server.url, prefix, retentionMs: 1000 })
          const charge = counter('once', 100)
          const request = { grantId: 'g1', now: t0, counter: charge, amount: { tokens: 50 } }
          expect((await store.grant!(request)).alreadyApplied).toBe(false)
          expect(await store.grant!({ ...request, now: t0 + 999 })).toEqual({
            counter: { key: 'once', used: tally({}), reserved: tally({}), granted: { tokens: 50 } },
            alreadyApplied: true,
          })
          expect(await admin.pttl(`{${prefix}}:g:g1`)).toBeGreaterThan(0)
          const later = await store.grant!({ ...request, now: t0 + 1000 })
          expect(later.alreadyApplied).toBe(false)
          expect(later.counter.granted).toEqual({ tokens: 100 })
          await store.dispose?.()
        })

        it('should let concurrent reservations of two clients take exactly cap + granted', async () => {
          const prefix = `grants-${grantStores++}`
          const a = redisStore({ url: server.url, prefix })
          const b = redisStore({ url: server.url, prefix })
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

        it('should throw a typed error when Redis is unreachable, even when failing open', async () => {
          const store = redisStore({ url: 'redis://127.0.0.1:1', failOpen: true, timeoutMs: 200 })
          const error = await store.grant!({
            grantId: 'g',
            now: t0,
            counter: counter('x', 1),
            amount: { tokens: 1 },
          }).catch((caught: unknown) => caught)
          expect(StoreUnavailableError.isInstance(error)).toBe(true)
          await store.dispose?.()
        })
      })

      describe('client', () => {
        it('should use a client it is given and leave it open', async () => {
          const client = new Redis(server.url)
          const store = redisStore({ client, prefix: 'given' })
          await store.commit({
            reservationId: null,
            now: t0,
            counters: [counter('a', 9)],
            usage: tally({ tokens: 2 }),
          })
          await store.dispose?.()
          expect(await client.ping()).toBe('PONG')
          await client.quit()
        })

        it('should refuse a prefix that could break the hash tag, naming the field', () => {
          expect(() => redisStore({ prefix: 'a}b' })).toThrow(/prefix/)
        })

        it('should fail closed with a typed error when nothing listens', async () => {
          const store = redisStore({
            url: 'redis://127.0.0.1:1',
            timeoutMs: 300,
            redisOptions: { retryStrategy: () => null },
          })
          const error = await store
            .read({ now: t0, counters: [counter('a', 1)] })
            .catch((caught: unknown) => caught)
          expect(StoreUnavailableError.isInstance(error)).toBe(true)
          expect(error).toMatchObject({ store: 'redis', operation: 'read' })
          await store.dispose?.()
        })
      })
    })
  },
})
