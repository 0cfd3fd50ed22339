import { describe, expect, it } from 'vitest'
import { testBudgetStore } from '../test/index.ts'
import { emptyTally } from '../usage/tally.ts'
import { memoryStore } from './memory-store.ts'

const t0 = Date.UTC(2026, 0, 1)
const counters = [{ key: 'a', caps: { tokens: 1_000_000 }, expiresAt: null }]
const usage = { ...emptyTally(), tokens: 1 }

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
    })
  },
})
