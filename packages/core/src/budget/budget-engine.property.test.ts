import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import type { LimitConfig } from '../limits/limit-config.ts'
import type { Budget } from './budget.ts'
import type { BudgetContext } from './budget-context.ts'
import { createBudget } from './create-budget.ts'

const limits: LimitConfig[] = [
  { scope: 'thread', tokens: 5_000 },
  { scope: 'agent', tokens: 12_000, requests: 40 },
  { scope: 'global', tokens: 20_000 },
]
const contexts: BudgetContext[] = [
  { agent: 'a', thread: 't1' },
  { agent: 'a', thread: 't2' },
  { agent: 'b', thread: 't3' },
  { agent: 'b', thread: 't1' },
]

/** used + reserved ≤ limit for every limit of every context. */
async function assertWithinLimits(budget: Budget): Promise<void> {
  for (const ctx of contexts) {
    for (const status of await budget.status(ctx)) {
      expect(status.used + status.reserved, `${status.limitName} ${status.unit}`).toBeLessThanOrEqual(
        status.limit,
      )
    }
  }
}

async function ledger(budget: Budget) {
  const rows = []
  for (const ctx of contexts)
    rows.push(...(await budget.status(ctx)).map((s) => [s.limitName, s.scopeId, s.unit, s.used, s.reserved]))
  return rows
}

const call = fc.record({
  context: fc.integer({ min: 0, max: contexts.length - 1 }),
  inputTokens: fc.integer({ min: 0, max: 3_000 }),
  maxOutputTokens: fc.integer({ min: 0, max: 3_000 }),
  clamp: fc.boolean(),
  /** settle with this share of the reservation, or release (null) */
  usageShare: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
})

type Call = typeof call extends fc.Arbitrary<infer T> ? T : never

describe('createBudget (properties)', () => {
  it('should never let used + reserved exceed any limit under random interleavings of reserve/settle/release', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(call, { minLength: 1, maxLength: 40 }), async (s, calls) => {
        const budget = createBudget({ limits })
        let granted = 0
        const run = async (c: Call) => {
          await s.schedule(Promise.resolve(), 'before reserve')
          let r: Awaited<ReturnType<Budget['reserve']>>
          try {
            r = await budget.reserve(contexts[c.context]!, c)
          } catch (error) {
            if (!BudgetExceededError.isInstance(error)) throw error
            return
          }
          granted++
          await assertWithinLimits(budget)
          await s.schedule(Promise.resolve(), 'before settle')
          if (c.usageShare === null) await r.release()
          else {
            const inputTokens = Math.floor(r.inputTokens * c.usageShare)
            const outputTokens = Math.floor(r.maxOutputTokens * c.usageShare)
            await r.settle({ inputTokens, outputTokens, cachedInputTokens: Math.floor(inputTokens / 2) })
          }
          await assertWithinLimits(budget)
        }
        await s.waitFor(Promise.all(calls.map(run)))
        await assertWithinLimits(budget)
        for (const row of await ledger(budget)) expect(row[4], `${row[0]} reserved`).toBe(0)
        expect(granted).toBeLessThanOrEqual(calls.length)
      }),
      { numRuns: 150 },
    )
  })

  it('should fire each threshold exactly once per crossing, however usage arrives', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ thread: fc.constantFrom('t1', 't2', 't3'), tokens: fc.integer({ min: 0, max: 400 }) }),
          {
            maxLength: 60,
          },
        ),
        fc.boolean(),
        async (usages, concurrent) => {
          const budget = createBudget({ limits: [{ scope: 'agent', tokens: 10_000 }], mode: 'warn' })
          const fired: number[] = []
          budget.on('warning', (w) => fired.push(w.threshold))
          const record = (u: (typeof usages)[number]) =>
            budget.record({ agent: 'a', thread: u.thread }, { inputTokens: u.tokens, outputTokens: 0 })
          if (concurrent) await Promise.all(usages.map(record))
          else for (const u of usages) await record(u)
          const total = usages.reduce((sum, u) => sum + u.tokens, 0)
          const expected = [0.75, 0.9, 0.95].filter((t) => total >= t * 10_000)
          expect(fired.sort()).toEqual(expected)
          // each thread of the agent is told once (the most urgent), then never again
          for (const thread of ['t1', 't2', 't3']) {
            expect(budget.takeWarnings({ agent: 'a', thread })).toHaveLength(expected.length > 0 ? 1 : 0)
            expect(budget.takeWarnings({ agent: 'a', thread })).toHaveLength(0)
          }
        },
      ),
      { numRuns: 200 },
    )
  })

  it('should return the ledger to its prior state when every reservation is released', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ context: fc.integer({ min: 0, max: 3 }), tokens: fc.integer({ min: 0, max: 2_000 }) }),
          {
            maxLength: 10,
          },
        ),
        fc.array(call, { maxLength: 30 }),
        async (prior, calls) => {
          const budget = createBudget({ limits })
          for (const p of prior) {
            await budget
              .record(contexts[p.context]!, { inputTokens: p.tokens, outputTokens: 0 })
              .catch(() => {})
          }
          const before = await ledger(budget)
          const reservations = await Promise.all(
            calls.map((c) => budget.reserve(contexts[c.context]!, c).catch(() => undefined)),
          )
          await Promise.all(reservations.map((r) => r?.release()))
          expect(await ledger(budget)).toEqual(before)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('should roll calendar periods over in any time zone, never leaking usage into the next period', async () => {
    const zones = [
      'UTC',
      'Europe/Paris',
      'America/New_York',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
      'Pacific/Apia',
    ]
    // independent reference: the local calendar fields; an hour repeated at a DST fall-back is told apart
    // by its UTC offset
    const formatters = new Map<string, Intl.DateTimeFormat>()
    const keyOf = (period: 'hour' | 'day' | 'month', timeZone: string, t: number) => {
      let format = formatters.get(`${period} ${timeZone}`)
      if (format === undefined) {
        format = new Intl.DateTimeFormat('en-US', {
          timeZone,
          year: 'numeric',
          month: '2-digit',
          day: period === 'month' ? undefined : '2-digit',
          hour: period === 'hour' ? '2-digit' : undefined,
          hourCycle: 'h23',
          timeZoneName: period === 'hour' ? 'longOffset' : undefined,
        })
        formatters.set(`${period} ${timeZone}`, format)
      }
      return format.format(t)
    }
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('hour' as const, 'day' as const, 'month' as const),
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.array(
          fc.record({
            step: fc.integer({ min: 0, max: 40 * 86_400_000 }),
            tokens: fc.integer({ min: 1, max: 50 }),
          }),
          {
            minLength: 1,
            maxLength: 25,
          },
        ),
        async (period, timeZone, start, steps) => {
          let now = start
          const budget = createBudget({
            limits: [{ scope: 'user', tokens: 1_000_000, period }],
            timeZone,
            now: () => now,
          })
          const recorded: { t: number; tokens: number }[] = []
          for (const { step, tokens } of steps) {
            now += period === 'hour' ? Math.floor(step / 500) : step
            await budget.record({ user: 'u' }, { inputTokens: tokens, outputTokens: 0 })
            recorded.push({ t: now, tokens })
            const key = keyOf(period, timeZone, now)
            const expected = recorded
              .filter((r) => keyOf(period, timeZone, r.t) === key)
              .reduce((a, r) => a + r.tokens, 0)
            const [status] = await budget.status({ user: 'u' })
            expect(status!.used).toBe(expected)
            expect(status!.periodStart).toBeLessThanOrEqual(now)
            expect(status!.resetsAt).toBeGreaterThan(now)
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it('should count only the last window of a rolling period', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            step: fc.integer({ min: 0, max: 30 * 60_000 }),
            tokens: fc.integer({ min: 1, max: 50 }),
          }),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        async (steps) => {
          let now = Date.UTC(2026, 0, 1)
          const bucketMs = 6 * 60_000 // 1 h in 10 buckets
          const budget = createBudget({
            limits: [{ scope: 'user', tokens: 1_000_000, period: { rolling: '1h' } }],
            now: () => now,
          })
          const recorded: { t: number; tokens: number }[] = []
          for (const { step, tokens } of steps) {
            now += step
            await budget.record({ user: 'u' }, { inputTokens: tokens, outputTokens: 0 })
            recorded.push({ t: now, tokens })
            const currentBucket = Math.floor(now / bucketMs)
            const expected = recorded
              .filter((r) => Math.floor(r.t / bucketMs) > currentBucket - 10)
              .reduce((a, r) => a + r.tokens, 0)
            expect((await budget.status({ user: 'u' }))[0]!.used).toBe(expected)
          }
        },
      ),
      { numRuns: 150 },
    )
  })
})
