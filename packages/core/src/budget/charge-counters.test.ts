import { describe, expect, it } from 'vitest'
import { memoryStore } from '../stores/memory-store.ts'
import { createBudget } from './create-budget.ts'

// The hot path reuses resolved charges, counter lists and request objects while a context repeats, and
// reads counter states back only once a counter reaches its lowest threshold: these tests change what
// the caches would have to notice.
const t0 = Date.UTC(2026, 0, 1)
const request = { inputTokens: 10, maxOutputTokens: 5 }
const usage = { inputTokens: 10, outputTokens: 0 }

describe('reused charges and counter lists', () => {
  it('should charge the new thread when the same context object changes between calls', async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], track: [] })
    const context = { thread: 'a' }
    await (await budget.reserve(context, request)).settle(usage)
    context.thread = 'b'
    await (await budget.reserve(context, request)).settle(usage)
    await (await budget.reserve(context, request)).settle(usage)
    expect((await budget.status({ thread: 'a' }))[0]!.used).toBe(10)
    expect((await budget.status({ thread: 'b' }))[0]!.used).toBe(20)
  })

  it('should keep alternating contexts, their tracking and usage history apart', async () => {
    const clock = { at: t0 }
    const store = memoryStore()
    const budget = createBudget({
      limits: [
        { scope: 'thread', tokens: 1000 },
        { scope: 'global', tokens: 1_000_000, period: 'day' },
      ],
      track: ['user'],
      store,
      now: () => clock.at,
    })
    for (let i = 0; i < 4; i++) {
      const context = { thread: `t-${i % 2}`, user: `u-${i % 2}` }
      await (await budget.reserve(context, request)).settle(usage)
      clock.at += 3_600_000 // the next usage history bucket of the day limit
    }
    const used = Object.fromEntries(
      (await store.list({ now: clock.at })).map((state) => [state.key, state.used.tokens]),
    )
    const of = (prefix: string) => Object.keys(used).filter((key) => key.startsWith(prefix))
    expect(of('thread/').map((key) => used[key])).toEqual([20, 20])
    expect(of('@track|user|').map((key) => used[key])).toEqual([20, 20])
    expect(of('@history:').map((key) => used[key])).toEqual([10, 10, 10, 10])
  })
})

describe('reused settle lists without tracking', () => {
  it('should move to the next usage history bucket while one context repeats, and back after a clock step', async () => {
    const clock = { at: t0 }
    const store = memoryStore()
    const budget = createBudget({
      limits: [{ scope: 'global', tokens: 1_000_000, period: 'day' }],
      track: [],
      store,
      now: () => clock.at,
    })
    const context = {}
    // hours 0, 0, 1, 2, then the clock steps back into hour 1
    for (const hour of [0, 0, 1, 2, 1]) {
      clock.at = t0 + hour * 3_600_000 + 60_000
      await (await budget.reserve(context, request)).settle(usage)
    }
    const history = (await store.list({ now: clock.at }))
      .filter((state) => state.key.startsWith('@history:'))
      .map((state) => [Number(state.key.split('|')[3]) - t0, state.used.tokens])
      .sort((a, b) => a[0]! - b[0]!)
    expect(history).toEqual([
      [0, 20],
      [3_600_000, 20],
      [7_200_000, 10],
    ])
  })
})

describe('counter states read back from the lowest threshold on', () => {
  it('should warn once, on the settle that crosses the threshold, in a loop of repeated pairs', async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100, thresholds: [0.5] }] })
    const context = { thread: 't' }
    const warned: number[] = []
    for (let i = 1; i <= 8; i++) {
      const result = await (await budget.reserve(context, request)).settle(usage)
      if (result.warnings.length > 0) warned.push(i)
    }
    expect(warned).toEqual([5])
  })

  it('should catch up a crossing made by another budget on the same store at the next reserve', async () => {
    const store = memoryStore()
    const limits = [{ scope: 'thread', tokens: 100, thresholds: [0.5] }]
    const context = { thread: 't' }
    const budget = createBudget({ limits, store })
    await (await budget.reserve(context, request)).settle(usage)
    expect(budget.takeWarnings(context)).toEqual([])
    await createBudget({ limits, store }).record(context, { inputTokens: 45, outputTokens: 0 })
    const reservation = await budget.reserve(context, request)
    expect(budget.takeWarnings(context).map((w) => w.threshold)).toEqual([0.5])
    await reservation.release()
  })
})

// On the system clock, a settle whose commit depends on no time (nothing tracked, no usage history, no
// `settled` listener) commits at the latest reservation's reading instead of reading the clock again.
describe('a settle on the system clock', () => {
  /** Waits (without timers) until the system clock passed `ms` more milliseconds. */
  const waitMs = (ms: number) => {
    const until = Date.now() + ms
    while (Date.now() < until) {}
  }

  it("should report the settle's own time in the settled event", async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], track: [] })
    const at: number[] = []
    budget.on('settled', (event) => at.push(event.at))
    const reservation = await budget.reserve({ thread: 't' }, request)
    waitMs(3)
    const before = Date.now()
    await reservation.settle(usage)
    expect(at[0]).toBeGreaterThanOrEqual(before)
  })

  it('should count the usage and return the hold of a settle after its lease lapsed', async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], track: [], leaseMs: 1 })
    const context = { thread: 't' }
    const reservation = await budget.reserve(context, request)
    waitMs(3)
    await reservation.settle(usage)
    expect((await budget.status(context))[0]).toMatchObject({ used: 10, reserved: 0 })
    await (await budget.reserve(context, { inputTokens: 985, maxOutputTokens: 5 })).settle(usage)
    expect((await budget.status(context))[0]).toMatchObject({ used: 20, reserved: 0 })
  })
})
