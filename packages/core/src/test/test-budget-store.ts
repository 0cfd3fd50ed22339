import { describe, expect, it } from 'vitest'
import { createBudget } from '../budget/create-budget.ts'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import type { BudgetStore, CounterCharge } from '../stores/budget-store.ts'
import { encodeCounterKey } from '../stores/counter-key.ts'
import { emptyTally, type Tally } from '../usage/tally.ts'

/** Options of {@link testBudgetStore}. */
export interface TestBudgetStoreOptions {
  /** Shown in the suite's title. */
  name: string
  /** A fresh, empty store for each test. */
  createStore: () => BudgetStore | Promise<BudgetStore>
  /** Store-specific tests, run inside the same `describe`. */
  additionalTests?: () => void
  /** The store implements the optional `grant` (`budget.grant()`); `false` skips its tests. @default true */
  grants?: boolean
}

/**
 * The store conformance suite: every `BudgetStore` must pass it unchanged. Call it from a vitest file.
 *
 * @example
 * import { testBudgetStore } from '@tokenwarden/core/test'
 * testBudgetStore({ name: 'redis', createStore: () => redisStore({ url }) })
 */
export function testBudgetStore({
  name,
  createStore,
  additionalTests,
  grants = true,
}: TestBudgetStoreOptions): void {
  const t0 = Date.UTC(2026, 0, 1)

  async function withStore(run: (store: BudgetStore) => Promise<void>): Promise<void> {
    const store = await createStore()
    try {
      await run(store)
    } finally {
      await store.dispose?.()
    }
  }

  describe(`BudgetStore conformance: ${name}`, () => {
    describe('reserve', () => {
      it('should hold the amount on every counter and report the totals', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 }), counter('b', { requests: 5 })]
          const result = await store.reserve(
            reserveRequest('r1', counters, tally({ tokens: 30, requests: 1 })),
          )
          expect(result.ok).toBe(true)
          if (!result.ok) return
          expect(result.exceeded).toBeUndefined()
          expect(result.counters.map((c) => c.key)).toEqual(['a', 'b'])
          expect(result.counters[0]!.reserved.tokens).toBe(30)
          expect(result.counters[0]!.used.tokens).toBe(0)
          expect(result.counters[1]!.reserved.requests).toBe(1)
        }))

      it('should refuse past a cap and change nothing on any counter', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 }), counter('b', { tokens: 50 })]
          await store.reserve(reserveRequest('r1', [counters[1]!], tally({ tokens: 40 })))
          const result = await store.reserve(reserveRequest('r2', counters, tally({ tokens: 20 })))
          expect(result).toEqual({ ok: false, denial: { index: 1, unit: 'tokens', used: 0, reserved: 40 } })
          const [a, b] = await store.read({ now: t0, counters })
          expect(a!.reserved.tokens).toBe(0)
          expect(b!.reserved.tokens).toBe(40)
        }))

      it('should allow reaching a cap exactly', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100, costUsd: 0.3 })]
          const first = await store.reserve(
            reserveRequest('r1', counters, tally({ tokens: 60, costUsd: 0.1 })),
          )
          const second = await store.reserve(
            reserveRequest('r2', counters, tally({ tokens: 40, costUsd: 0.2 })),
          )
          expect(first.ok && second.ok).toBe(true)
          const third = await store.reserve(reserveRequest('r3', counters, tally({ tokens: 1 })))
          expect(third.ok).toBe(false)
        }))

      it('should apply past a cap and report it when not enforcing', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 10 })]
          const result = await store.reserve({
            ...reserveRequest('r1', counters, tally({ tokens: 30 })),
            enforce: false,
          })
          expect(result).toMatchObject({
            ok: true,
            exceeded: { index: 0, unit: 'tokens', used: 0, reserved: 0 },
          })
          const [a] = await store.read({ now: t0, counters })
          expect(a!.reserved.tokens).toBe(30)
        }))

      it('should grant exactly what the cap affords under 200 concurrent reservations', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 500 }), counter('global', { requests: 1000 })]
          const results = await Promise.all(
            Array.from({ length: 200 }, (_, i) =>
              store.reserve(reserveRequest(`r${i}`, counters, tally({ tokens: 10, requests: 1 }))),
            ),
          )
          expect(results.filter((r) => r.ok)).toHaveLength(50)
          const [a, global] = await store.read({ now: t0, counters })
          expect(a!.reserved.tokens).toBe(500)
          expect(global!.reserved.requests).toBe(50)
        }))

      it('should ignore units the call does not request', () =>
        withStore(async (store) => {
          const counters = [counter('a', { costUsd: 1 })]
          await store.commit({ reservationId: null, now: t0, counters, usage: tally({ costUsd: 2 }) })
          const result = await store.reserve(reserveRequest('r1', counters, tally({ tokens: 5 })))
          expect(result.ok).toBe(true)
        }))
    })

    describe('commit', () => {
      it('should swap the reservation for the usage in one step', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 })]
          await store.reserve(reserveRequest('r1', counters, tally({ tokens: 80, requests: 1 })))
          const result = await store.commit({
            reservationId: 'r1',
            now: t0,
            counters,
            usage: tally({
              tokens: 55,
              inputTokens: 40,
              outputTokens: 15,
              cachedInputTokens: 10,
              reasoningTokens: 5,
              requests: 1,
            }),
          })
          expect(result.reservationFound).toBe(true)
          expect(result.counters[0]!.reserved).toEqual(emptyTally())
          expect(result.counters[0]!.used).toMatchObject({
            tokens: 55,
            cachedInputTokens: 10,
            reasoningTokens: 5,
            requests: 1,
          })
        }))

      it('should release without adding usage', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 })]
          await store.reserve(reserveRequest('r1', counters, tally({ tokens: 80 })))
          const result = await store.commit({ reservationId: 'r1', now: t0, counters, usage: null })
          expect(result.reservationFound).toBe(true)
          expect(result.counters[0]!.reserved.tokens).toBe(0)
          expect(result.counters[0]!.used.tokens).toBe(0)
        }))

      it('should return a reservation only once', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 })]
          await store.reserve(reserveRequest('r1', counters, tally({ tokens: 30 })))
          await store.reserve(reserveRequest('r2', counters, tally({ tokens: 30 })))
          await store.commit({ reservationId: 'r1', now: t0, counters, usage: null })
          const again = await store.commit({ reservationId: 'r1', now: t0, counters, usage: null })
          expect(again.reservationFound).toBe(false)
          expect(again.counters[0]!.reserved.tokens).toBe(30)
        }))

      it('should record usage without a reservation, on tracking counters too', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 }), { key: 'track', caps: null, expiresAt: null }]
          await store.commit({
            reservationId: null,
            now: t0,
            counters,
            usage: tally({ tokens: 7, costUsd: 0.25 }),
          })
          const result = await store.commit({
            reservationId: null,
            now: t0,
            counters,
            usage: tally({ tokens: 3, costUsd: 0.5 }),
          })
          expect(result.reservationFound).toBe(false)
          expect(result.counters[0]!.used.tokens).toBe(10)
          expect(result.counters[1]!.used.costUsd).toBeCloseTo(0.75, 12)
        }))

      it('should add usage of a lapsed reservation without returning it twice', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 })]
          await store.reserve({
            ...reserveRequest('r1', counters, tally({ tokens: 60 })),
            leaseExpiresAt: t0 + 10,
          })
          const result = await store.commit({
            reservationId: 'r1',
            now: t0 + 20,
            counters,
            usage: tally({ tokens: 50 }),
          })
          expect(result.reservationFound).toBe(false)
          expect(result.counters[0]!.reserved.tokens).toBe(0)
          expect(result.counters[0]!.used.tokens).toBe(50)
        }))
    })

    describe('leases', () => {
      it('should return a lapsed reservation to the counters', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 })]
          await store.reserve({
            ...reserveRequest('r1', counters, tally({ tokens: 90 })),
            leaseExpiresAt: t0 + 1000,
          })
          expect(
            (await store.reserve({ ...reserveRequest('r2', counters, tally({ tokens: 20 })), now: t0 + 999 }))
              .ok,
          ).toBe(false)
          const later = await store.reserve({
            ...reserveRequest('r3', counters, tally({ tokens: 20 })),
            now: t0 + 1000,
          })
          expect(later.ok).toBe(true)
          const [a] = await store.read({ now: t0 + 1000, counters })
          expect(a!.reserved.tokens).toBe(20)
        }))

      it('should return lapsed leases of any length, in any order', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 })]
          await store.reserve({
            ...reserveRequest('long', counters, tally({ tokens: 10 })),
            leaseExpiresAt: t0 + 10_000,
          })
          await store.reserve({
            ...reserveRequest('short', counters, tally({ tokens: 80 })),
            leaseExpiresAt: t0 + 100,
          })
          const result = await store.reserve({
            ...reserveRequest('next', counters, tally({ tokens: 80 })),
            now: t0 + 200,
          })
          expect(result.ok).toBe(true)
        }))

      it('should extend a lease on renew', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 })]
          await store.reserve({
            ...reserveRequest('r1', counters, tally({ tokens: 90 })),
            leaseExpiresAt: t0 + 100,
          })
          expect(await store.renew({ reservationId: 'r1', now: t0 + 50, leaseExpiresAt: t0 + 500 })).toBe(
            true,
          )
          const [a] = await store.read({ now: t0 + 200, counters })
          expect(a!.reserved.tokens).toBe(90)
          expect(await store.renew({ reservationId: 'missing', now: t0, leaseExpiresAt: t0 + 500 })).toBe(
            false,
          )
          const [b] = await store.read({ now: t0 + 500, counters })
          expect(b!.reserved.tokens).toBe(0)
          expect(await store.renew({ reservationId: 'r1', now: t0 + 600, leaseExpiresAt: t0 + 900 })).toBe(
            false,
          )
        }))
    })

    describe('same operation delivered twice', () => {
      it('should hold a reservation once when its reserve is delivered twice', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 })]
          const first = await store.reserve(reserveRequest('r1', counters, tally({ tokens: 60 })))
          const second = await store.reserve(reserveRequest('r1', counters, tally({ tokens: 60 })))
          expect(first.ok && first.alreadyApplied !== true).toBe(true)
          expect(second).toMatchObject({ ok: true, alreadyApplied: true })
          const [a] = await store.read({ now: t0, counters })
          expect(a!.reserved.tokens).toBe(60)
          await store.commit({ reservationId: 'r1', now: t0, counters, usage: null })
          const [after] = await store.read({ now: t0, counters })
          expect(after!.reserved.tokens).toBe(0)
        }))

      it('should hold nothing for a reserve delivered again after its reservation closed', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 })]
          await store.reserve(reserveRequest('r1', counters, tally({ tokens: 60 })))
          await store.commit({ reservationId: 'r1', now: t0, counters, usage: tally({ tokens: 10 }) })
          const late = await store.reserve(reserveRequest('r1', counters, tally({ tokens: 60 })))
          expect(late).toMatchObject({ ok: true, alreadyApplied: true })
          const [a] = await store.read({ now: t0, counters })
          expect(a!.reserved.tokens).toBe(0)
          expect(a!.used.tokens).toBe(10)
        }))

      it('should add the usage of a commit delivered twice once', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 }), { key: 'track', caps: null, expiresAt: null }]
          await store.reserve(reserveRequest('r1', counters, tally({ tokens: 80 })))
          const commit = { reservationId: 'r1', now: t0, counters, usage: tally({ tokens: 50 }) }
          const first = await store.commit(commit)
          const second = await store.commit(commit)
          expect(first).toMatchObject({ reservationFound: true })
          expect(first.alreadyApplied ?? false).toBe(false)
          expect(second).toMatchObject({ reservationFound: false, alreadyApplied: true })
          const [a, track] = await store.read({ now: t0, counters })
          expect(a!.used.tokens).toBe(50)
          expect(a!.reserved.tokens).toBe(0)
          expect(track!.used.tokens).toBe(50)
        }))

      it('should return a reservation once when its release is delivered twice', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 })]
          await store.reserve(reserveRequest('r1', counters, tally({ tokens: 30 })))
          await store.reserve(reserveRequest('r2', counters, tally({ tokens: 30 })))
          const release = { reservationId: 'r1', now: t0, counters, usage: null }
          expect(await store.commit(release)).toMatchObject({ reservationFound: true })
          expect(await store.commit(release)).toMatchObject({ reservationFound: false, alreadyApplied: true })
          const [a] = await store.read({ now: t0, counters })
          expect(a!.reserved.tokens).toBe(30)
        }))

      it('should add nothing for a settle delivered after its release', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 })]
          await store.reserve(reserveRequest('r1', counters, tally({ tokens: 30 })))
          await store.commit({ reservationId: 'r1', now: t0, counters, usage: null })
          const late = await store.commit({
            reservationId: 'r1',
            now: t0,
            counters,
            usage: tally({ tokens: 9 }),
          })
          expect(late.alreadyApplied).toBe(true)
          expect(late.counters[0]!.used.tokens).toBe(0)
        }))

      it('should extend a lease to the same expiry when a renew is delivered twice', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 })]
          await store.reserve({
            ...reserveRequest('r1', counters, tally({ tokens: 90 })),
            leaseExpiresAt: t0 + 100,
          })
          const renew = { reservationId: 'r1', now: t0 + 50, leaseExpiresAt: t0 + 500 }
          expect(await store.renew(renew)).toBe(true)
          expect(await store.renew(renew)).toBe(true)
          const [held] = await store.read({ now: t0 + 499, counters })
          expect(held!.reserved.tokens).toBe(90)
          const [lapsed] = await store.read({ now: t0 + 500, counters })
          expect(lapsed!.reserved.tokens).toBe(0)
        }))

      it('should add a usage record delivered twice once, by its operation id', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 })]
          const record = { reservationId: 'op-1', now: t0, counters, usage: tally({ tokens: 7 }) }
          expect(await store.commit(record)).toMatchObject({ reservationFound: false })
          expect(await store.commit(record)).toMatchObject({ reservationFound: false, alreadyApplied: true })
          await store.commit({ ...record, reservationId: 'op-2' })
          const [a] = await store.read({ now: t0, counters })
          expect(a!.used.tokens).toBe(14)
        }))

      it('should add the usage of a lapsed reservation once when its commit is delivered twice', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100 })]
          await store.reserve({
            ...reserveRequest('r1', counters, tally({ tokens: 60 })),
            leaseExpiresAt: t0 + 10,
          })
          const commit = { reservationId: 'r1', now: t0 + 20, counters, usage: tally({ tokens: 50 }) }
          expect(await store.commit(commit)).toMatchObject({ reservationFound: false })
          expect(await store.commit(commit)).toMatchObject({ reservationFound: false, alreadyApplied: true })
          const [a] = await store.read({ now: t0 + 20, counters })
          expect(a!.used.tokens).toBe(50)
          expect(a!.reserved.tokens).toBe(0)
        }))
    })

    describe('drawing usage from an open reservation', () => {
      it('should move settled usage out of a hold that stays open, once', () =>
        withStore(async (store) => {
          const parent = counter('parent', { tokens: 100 })
          const child = counter('child', { tokens: 60 })
          await store.reserve(reserveRequest('hold', [parent], tally({ tokens: 60 })))
          await store.reserve(reserveRequest('call', [child], tally({ tokens: 30 })))
          const commit = {
            reservationId: 'call',
            now: t0,
            counters: [parent, child],
            usage: tally({ tokens: 20 }),
            drawFrom: [['hold']],
          }
          const first = await store.commit(commit)
          expect(first.counters.map((c) => [c.used.tokens, c.reserved.tokens])).toEqual([
            [20, 40],
            [20, 0],
          ])
          expect((await store.commit(commit)).alreadyApplied).toBe(true)
          const states = await store.read({ now: t0, counters: [parent, child] })
          expect(states.map((c) => [c.used.tokens, c.reserved.tokens])).toEqual([
            [20, 40],
            [20, 0],
          ])
          expect(await store.renew({ reservationId: 'hold', now: t0, leaseExpiresAt: t0 + 120_000 })).toBe(
            true,
          )
          await store.commit({ reservationId: 'hold', now: t0, counters: [parent], usage: null })
          const [closed] = await store.read({ now: t0, counters: [parent] })
          expect([closed!.used.tokens, closed!.reserved.tokens]).toEqual([20, 0])
        }))

      it('should never draw a hold below zero, and skip one that is not open', () =>
        withStore(async (store) => {
          const parent = counter('parent', { tokens: 100 })
          await store.reserve(reserveRequest('hold', [parent], tally({ tokens: 10 })))
          await store.commit({
            reservationId: 'op-1',
            now: t0,
            counters: [parent],
            usage: tally({ tokens: 25 }),
            drawFrom: [['missing', 'hold']],
          })
          const [a] = await store.read({ now: t0, counters: [parent] })
          expect([a!.used.tokens, a!.reserved.tokens]).toEqual([25, 0])
          await store.commit({ reservationId: 'hold', now: t0, counters: [parent], usage: null })
          const [b] = await store.read({ now: t0, counters: [parent] })
          expect([b!.used.tokens, b!.reserved.tokens]).toEqual([25, 0])
        }))

      it('should draw a group in order and every group once', () =>
        withStore(async (store) => {
          const root = counter('root', { tokens: 100 })
          const level = counter('level', { tokens: 100 })
          await store.reserve(reserveRequest('h1', [root], tally({ tokens: 10 })))
          await store.reserve(reserveRequest('h2', [root], tally({ tokens: 30 })))
          await store.reserve(reserveRequest('h3', [level], tally({ tokens: 50 })))
          await store.commit({
            reservationId: 'op-1',
            now: t0,
            counters: [root, level],
            usage: tally({ tokens: 25 }),
            drawFrom: [['h1', 'h2'], ['h3']],
          })
          const states = await store.read({ now: t0, counters: [root, level] })
          expect(states.map((c) => [c.used.tokens, c.reserved.tokens])).toEqual([
            [25, 15],
            [25, 25],
          ])
          for (const id of ['h1', 'h2', 'h3'])
            await store.commit({ reservationId: id, now: t0, counters: [root, level], usage: null })
          const after = await store.read({ now: t0, counters: [root, level] })
          expect(after.map((c) => c.reserved.tokens)).toEqual([0, 0])
        }))
    })

    describe('windows and periods', () => {
      it('should count the window keys toward the caps and charge only the own key', () =>
        withStore(async (store) => {
          const old: CounterCharge = counter('w|1', { tokens: 100 })
          await store.commit({ reservationId: null, now: t0, counters: [old], usage: tally({ tokens: 70 }) })
          const current: CounterCharge = { ...counter('w|2', { tokens: 100 }), window: ['w|1', 'w|0'] }
          expect((await store.reserve(reserveRequest('r1', [current], tally({ tokens: 40 })))).ok).toBe(false)
          const ok = await store.reserve(reserveRequest('r2', [current], tally({ tokens: 30 })))
          expect(ok.ok && ok.counters[0]!.reserved.tokens).toBe(30)
          expect(ok.ok && ok.counters[0]!.used.tokens).toBe(70)
          const [own] = await store.read({ now: t0, counters: [counter('w|2', { tokens: 100 })] })
          expect(own!.used.tokens).toBe(0)
        }))

      it('should keep counters whose period is over through reads and drop them on a write', () =>
        withStore(async (store) => {
          const counters = [{ ...counter('day-1', { tokens: 100 }), expiresAt: t0 + 1000 }]
          await store.commit({ reservationId: null, now: t0, counters, usage: tally({ tokens: 100 }) })
          expect((await store.list({ now: t0 })).map((c) => c.key)).toContain('day-1')
          // Reads never delete: a report or the CLI can still see the ended period.
          const [ended] = await store.read({ now: t0 + 1000, counters })
          expect(ended!.used.tokens).toBe(100)
          const listed = await store.list({ now: t0 + 2000 })
          expect(listed.find((c) => c.key === 'day-1')?.used.tokens).toBe(100)
          // Housekeeping happens on writes.
          const other = [counter('day-2', { tokens: 100 })]
          await store.commit({
            reservationId: null,
            now: t0 + 2000,
            counters: other,
            usage: tally({ tokens: 1 }),
          })
          expect((await store.list({ now: t0 + 2000 })).map((c) => c.key)).not.toContain('day-1')
        }))

      it('should keep keys with separators and escapes apart', () =>
        withStore(async (store) => {
          const keys = ['a|b', 'a%7Cb', 'a:b', 'a b', 'ä', 'a\nb', '{a}b'].map((id) =>
            encodeCounterKey({ name: 'n', scope: 's', scopeId: id, periodStart: 0 }),
          )
          expect(new Set(keys).size).toBe(keys.length)
          for (const [i, key] of keys.entries()) {
            await store.commit({
              reservationId: null,
              now: t0,
              counters: [counter(key, { tokens: 100 })],
              usage: tally({ tokens: i + 1 }),
            })
          }
          const states = await store.read({
            now: t0,
            counters: keys.map((key) => counter(key, { tokens: 100 })),
          })
          expect(states.map((s) => s.used.tokens)).toEqual(keys.map((_, i) => i + 1))
          const listed = new Map((await store.list({ now: t0 })).map((s) => [s.key, s.used.tokens]))
          for (const [i, key] of keys.entries()) expect(listed.get(key)).toBe(i + 1)
        }))
    })

    describe.runIf(grants)('grants', () => {
      function grantRequest(
        grantId: string,
        charge: CounterCharge,
        amount: Record<string, number>,
        now = t0,
      ) {
        return { grantId, now, counter: charge, amount }
      }

      const reserveOn = (store: BudgetStore, id: string, charge: CounterCharge, tokens: number) =>
        store.reserve({
          reservationId: id,
          now: t0,
          leaseExpiresAt: t0 + 60_000,
          counters: [charge],
          amount: tally({ tokens }),
          enforce: true,
        })

      it('should raise the cap by the granted amount and report it in states and denials', () =>
        withStore(async (store) => {
          const charge = counter('g', { tokens: 100 })
          await store.commit({
            reservationId: null,
            now: t0,
            counters: [charge],
            usage: tally({ tokens: 90 }),
          })
          expect(await reserveOn(store, 'r1', charge, 20)).toEqual({
            ok: false,
            denial: { index: 0, unit: 'tokens', used: 90, reserved: 0 },
          })
          const granted = await store.grant!({
            grantId: 'g1',
            now: t0,
            counter: charge,
            amount: { tokens: 50 },
          })
          expect(granted).toEqual({
            counter: { key: 'g', used: tally({ tokens: 90 }), reserved: tally({}), granted: { tokens: 50 } },
            alreadyApplied: false,
          })
          const held = await reserveOn(store, 'r2', charge, 20)
          expect(held.ok && held.counters[0]!.granted).toEqual({ tokens: 50 })
          expect(await reserveOn(store, 'r3', charge, 41)).toEqual({
            ok: false,
            denial: { index: 0, unit: 'tokens', used: 90, reserved: 20, granted: 50 },
          })
          expect((await reserveOn(store, 'r4', charge, 40)).ok).toBe(true)
          const committed = await store.commit({
            reservationId: 'r4',
            now: t0,
            counters: [charge],
            usage: null,
          })
          expect(committed.counters[0]!.granted).toEqual({ tokens: 50 })
          expect((await store.read({ now: t0, counters: [charge] }))[0]!.granted).toEqual({ tokens: 50 })
          expect(await store.list({ now: t0 })).toEqual([
            {
              key: 'g',
              used: tally({ tokens: 90 }),
              reserved: tally({ tokens: 20 }),
              granted: { tokens: 50 },
            },
          ])
        }))

      it('should create a missing counter and sum grants over a window', () =>
        withStore(async (store) => {
          const old = { key: 'w|0', caps: { tokens: 10 }, expiresAt: t0 + 120_000 }
          const current = { key: 'w|1', caps: { tokens: 10 }, window: ['w|0'], expiresAt: t0 + 180_000 }
          await store.grant!({ grantId: 'a', now: t0, counter: old, amount: { tokens: 5 } })
          const { counter: state } = await store.grant!({
            grantId: 'b',
            now: t0,
            counter: current,
            amount: { tokens: 3, costUsd: 0.1 + 0.2 },
          })
          expect(state.granted).toEqual({ tokens: 8, costUsd: 0.1 + 0.2 })
          expect((await reserveOn(store, 'r1', current, 18)).ok).toBe(true)
          expect((await reserveOn(store, 'r2', current, 1)).ok).toBe(false)
        }))

      it('should drop grants with their counter when its period ends', () =>
        withStore(async (store) => {
          const charge = { key: 'p', caps: { tokens: 10 }, expiresAt: t0 + 1000 }
          await store.grant!({ grantId: 'g1', now: t0, counter: charge, amount: { tokens: 90 } })
          const later = { ...charge, expiresAt: t0 + 2000 }
          const result = await store.reserve({
            reservationId: 'r1',
            now: t0 + 1000,
            leaseExpiresAt: t0 + 61_000,
            counters: [later],
            amount: tally({ tokens: 50 }),
            enforce: true,
          })
          expect(result).toEqual({ ok: false, denial: { index: 0, unit: 'tokens', used: 0, reserved: 0 } })
          expect(await store.read({ now: t0 + 1000, counters: [later] })).toEqual([
            { key: 'p', used: tally({}), reserved: tally({}) },
          ])
        }))

      it('should raise the cap by the grant and report it in states and denials', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 100, requests: 10 })]
          expect((await store.reserve(reserveRequest('r1', counters, tally({ tokens: 100 })))).ok).toBe(true)
          expect((await store.reserve(reserveRequest('r2', counters, tally({ tokens: 1 })))).ok).toBe(false)
          const granted = await store.grant!(grantRequest('g1', counters[0]!, { tokens: 50 }))
          expect(granted.alreadyApplied).toBe(false)
          expect(granted.counter).toMatchObject({ key: 'a', granted: { tokens: 50 } })
          expect(granted.counter.reserved.tokens).toBe(100)
          expect((await store.reserve(reserveRequest('r3', counters, tally({ tokens: 50 })))).ok).toBe(true)
          const refused = await store.reserve(reserveRequest('r4', counters, tally({ tokens: 1 })))
          expect(refused).toEqual({
            ok: false,
            denial: { index: 0, unit: 'tokens', used: 0, reserved: 150, granted: 50 },
          })
          const [state] = await store.read({ now: t0, counters })
          expect(state!.granted).toEqual({ tokens: 50 })
          // a unit without a grant keeps its cap
          const many = await store.reserve(reserveRequest('r5', counters, tally({ requests: 11 })))
          expect(many.ok).toBe(false)
        }))

      it('should apply a grant id once however often it is delivered', () =>
        withStore(async (store) => {
          const charge = counter('a', { tokens: 10 })
          await store.grant!(grantRequest('g1', charge, { tokens: 5, costUsd: 0.5 }))
          const again = await store.grant!(grantRequest('g1', charge, { tokens: 5, costUsd: 0.5 }))
          expect(again.alreadyApplied).toBe(true)
          expect(again.counter.granted).toEqual({ tokens: 5, costUsd: 0.5 })
          await store.grant!(grantRequest('g2', charge, { tokens: 5 }))
          const [state] = await store.read({ now: t0, counters: [charge] })
          expect(state!.granted).toEqual({ tokens: 10, costUsd: 0.5 })
        }))

      it('should create the counter, list its own grant, and leave counters without one unmarked', () =>
        withStore(async (store) => {
          const charge = counter('fresh', { tokens: 10 })
          const granted = await store.grant!(grantRequest('g1', charge, { tokens: 7 }))
          expect(granted.counter.used.tokens).toBe(0)
          await store.commit({
            reservationId: null,
            now: t0,
            counters: [counter('plain', null)],
            usage: tally({ tokens: 3 }),
          })
          const listed = new Map((await store.list({ now: t0 })).map((state) => [state.key, state]))
          expect(listed.get('fresh')?.granted).toEqual({ tokens: 7 })
          const plain = listed.get('plain')!
          expect(plain.granted === undefined || Object.keys(plain.granted).length === 0).toBe(true)
        }))

      it('should count a grant over a rolling window while its bucket is in it', () =>
        withStore(async (store) => {
          await store.grant!(grantRequest('g1', counter('w-1', { tokens: 10 }), { tokens: 10 }))
          const charge: CounterCharge = { key: 'w-2', caps: { tokens: 10 }, window: ['w-1'], expiresAt: null }
          const ok = await store.reserve(reserveRequest('r1', [charge], tally({ tokens: 20 })))
          expect(ok.ok).toBe(true)
          if (ok.ok) expect(ok.counters[0]!.granted).toEqual({ tokens: 10 })
          const outside: CounterCharge = {
            key: 'w-3',
            caps: { tokens: 10 },
            window: ['w-2'],
            expiresAt: null,
          }
          const refused = await store.reserve(reserveRequest('r2', [outside], tally({ tokens: 1 })))
          expect(refused.ok).toBe(false)
        }))

      it('should end a grant with its counter', () =>
        withStore(async (store) => {
          const charge: CounterCharge = { key: 'day-1', caps: { tokens: 10 }, expiresAt: t0 + 1000 }
          await store.grant!(grantRequest('g1', charge, { tokens: 90 }))
          expect((await store.reserve(reserveRequest('r1', [charge], tally({ tokens: 100 })))).ok).toBe(true)
          await store.commit({ reservationId: 'r1', now: t0, counters: [charge], usage: null })
          // the next period's counter has the same key in this test: the grant must not survive
          const later = {
            ...reserveRequest('r2', [charge], tally({ tokens: 11 })),
            now: t0 + 2000,
            leaseExpiresAt: t0 + 60_000,
          }
          expect((await store.reserve(later)).ok).toBe(false)
        }))

      it('should take exactly cap + granted under 200 concurrent reservations', () =>
        withStore(async (store) => {
          const counters = [counter('a', { tokens: 50 })]
          await store.grant!(grantRequest('g1', counters[0]!, { tokens: 50 }))
          const results = await Promise.all(
            Array.from({ length: 200 }, (_, i) =>
              store.reserve(reserveRequest(`r${i}`, counters, tally({ tokens: 1 }))),
            ),
          )
          expect(results.filter((result) => result.ok)).toHaveLength(100)
          const [state] = await store.read({ now: t0, counters })
          expect(state!.reserved.tokens).toBe(100)
        }))
    })

    describe('through createBudget', () => {
      it('should enforce, settle and report exactly', async () => {
        const store = await createStore()
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], store, now: () => t0 })
        try {
          const r = await budget.reserve({ thread: 't' }, { inputTokens: 400, maxOutputTokens: 400 })
          await expect(
            budget.reserve({ thread: 't' }, { inputTokens: 100, maxOutputTokens: 200 }),
          ).rejects.toSatisfy(BudgetExceededError.isInstance)
          await r.settle({ inputTokens: 300, outputTokens: 100 })
          const [status] = await budget.status({ thread: 't' })
          expect(status).toMatchObject({ used: 400, reserved: 0, remaining: 600 })
          const report = await budget.report()
          expect(report.limits).toMatchObject([{ scopeId: 't', used: 400 }])
          expect(report.totals.tokens).toBe(400)
        } finally {
          await budget.dispose()
        }
      })

      it.runIf(grants)('should extend a thread with a grant, once per grant id, and report it', async () => {
        const store = await createStore()
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], store, now: () => t0 })
        try {
          const r = await budget.reserve({ thread: 't' }, { inputTokens: 900, maxOutputTokens: 100 })
          await r.settle({ inputTokens: 900, outputTokens: 100 })
          await expect(
            budget.reserve({ thread: 't' }, { inputTokens: 10, maxOutputTokens: 0 }),
          ).rejects.toSatisfy(BudgetExceededError.isInstance)
          const grant = { scope: 'thread', tokens: 500, id: 'check-in-1' }
          const first = await budget.grant({ thread: 't' }, grant)
          expect(first).toMatchObject({
            alreadyApplied: false,
            statuses: [{ limit: 1500, granted: 500, remaining: 500 }],
          })
          expect((await budget.grant({ thread: 't' }, grant)).alreadyApplied).toBe(true)
          const again = await budget.reserve({ thread: 't' }, { inputTokens: 400, maxOutputTokens: 100 })
          await again.release()
          const refused = await budget
            .reserve({ thread: 't' }, { inputTokens: 501, maxOutputTokens: 0 })
            .catch((error: unknown) => error)
          expect(refused).toMatchObject({ limit: 1500, granted: 500, remaining: 500 })
          const report = await budget.report()
          expect(report.limits).toMatchObject([{ scopeId: 't', limit: 1500, granted: 500, used: 1000 }])
        } finally {
          await budget.dispose()
        }
      })
    })

    additionalTests?.()
  })

  function counter(key: string, caps: CounterCharge['caps']): CounterCharge {
    return { key, caps, expiresAt: null }
  }

  function reserveRequest(reservationId: string, counters: CounterCharge[], amount: Tally) {
    return { reservationId, now: t0, leaseExpiresAt: t0 + 60_000, counters, amount, enforce: true }
  }
}

function tally(values: Partial<Tally>): Tally {
  return { ...emptyTally(), ...values }
}
