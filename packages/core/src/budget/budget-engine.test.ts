import { describe, expect, it } from 'vitest'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { ReservationClosedError } from '../errors/reservation-closed-error.ts'
import { UnknownPriceError } from '../errors/unknown-price-error.ts'
import type { BudgetEvents } from '../events/budget-events.ts'
import type { BudgetOptions } from './budget.ts'
import { createBudget } from './create-budget.ts'

const prices = {
  models: { 'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10, cachedInputPerMillion: 1.25 } },
}

function clock(start = Date.UTC(2026, 10, 23, 12)) {
  let now = start
  return { now: () => now, advance: (ms: number) => (now += ms), set: (t: number) => (now = t) }
}

async function exceeded(run: () => Promise<unknown>): Promise<BudgetExceededError> {
  try {
    await run()
  } catch (error) {
    if (BudgetExceededError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected BudgetExceededError')
}

function collect<E extends keyof BudgetEvents>(budget: ReturnType<typeof createBudget>, event: E) {
  const seen: BudgetEvents[E][] = []
  budget.on(event, (e) => seen.push(e))
  return seen
}

describe('createBudget', () => {
  describe('reserve', () => {
    it('should hold input + max output on every applicable limit at once', async () => {
      const budget = createBudget({
        limits: [
          { scope: 'thread', tokens: 10_000 },
          { scope: 'agent', id: 'researcher', requests: 5 },
          { scope: 'global', tokens: 50_000 },
        ],
      })
      const ctx = { agent: 'researcher', thread: 't-1' }
      const r = await budget.reserve(ctx, { model: 'gpt-4o', inputTokens: 1200, maxOutputTokens: 800 })
      const status = await budget.status(ctx)
      expect(status.map((s) => [s.scope, s.unit, s.used, s.reserved])).toEqual([
        ['thread', 'tokens', 0, 2000],
        ['agent', 'requests', 0, 1],
        ['global', 'tokens', 0, 2000],
      ])
      await r.settle({ inputTokens: 1100, outputTokens: 350, cachedInputTokens: 100, reasoningTokens: 0 })
      expect((await budget.status(ctx)).map((s) => [s.used, s.reserved])).toEqual([
        [1450, 0],
        [1, 0],
        [1450, 0],
      ])
    })

    it('should refuse with the fields of the binding limit and reserve nothing', async () => {
      const budget = createBudget({
        limits: [
          { scope: 'thread', tokens: 1000 },
          { scope: 'global', tokens: 10_000 },
        ],
      })
      const ctx = { thread: 't' }
      await budget.record(ctx, { inputTokens: 500, outputTokens: 200 })
      const error = await exceeded(() => budget.reserve(ctx, { inputTokens: 200, maxOutputTokens: 200 }))
      expect({ ...error.toJSON() }).toMatchObject({
        scope: 'thread',
        scopeId: 't',
        unit: 'tokens',
        limit: 1000,
        used: 700,
        reserved: 0,
        requested: 400,
        remaining: 300,
        period: 'none',
        resetsAt: null,
      })
      expect(error.message).toContain('thread')
      expect((await budget.status(ctx)).map((s) => s.reserved)).toEqual([0, 0])
    })

    it('should apply an id limit instead of the scope default', async () => {
      const budget = createBudget({
        limits: [
          { scope: 'agent', tokens: 100 },
          { scope: 'agent', id: 'boss', tokens: 10_000 },
        ],
      })
      await expect(
        budget.reserve({ agent: 'intern' }, { inputTokens: 50, maxOutputTokens: 100 }),
      ).rejects.toThrow(BudgetExceededError)
      const r = await budget.reserve({ agent: 'boss' }, { inputTokens: 50, maxOutputTokens: 100 })
      expect(r.state).toBe('open')
    })

    it('should clamp max output to what is left and expose the affordable output', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const ctx = { thread: 't' }
      await budget.record(ctx, { inputTokens: 400, outputTokens: 100 })
      expect(await budget.affordableOutputTokens(ctx, { inputTokens: 200 })).toBe(300)
      const r = await budget.reserve(ctx, { inputTokens: 200, maxOutputTokens: 4000, clamp: true })
      expect(r.maxOutputTokens).toBe(300)
      await r.release()
      const error = await exceeded(() =>
        budget.reserve(ctx, { inputTokens: 200, maxOutputTokens: 4000, clamp: { minOutputTokens: 301 } }),
      )
      // what the smallest acceptable call needs: its input and the minimum output
      expect(error).toMatchObject({ unit: 'tokens', requested: 501, remaining: 500 })
    })

    it('should bound the affordable output by a USD limit using the model price', async () => {
      const budget = createBudget({ limits: [{ scope: 'user', costUsd: 0.01 }], prices })
      // input 1000 tokens = $0.0025, leaves $0.0075 = 750 output tokens at $10/M
      expect(await budget.affordableOutputTokens({ user: 'u' }, { model: 'gpt-4o', inputTokens: 1000 })).toBe(
        750,
      )
      expect(await budget.affordableOutputTokens({ user: 'u' }, { inputTokens: 1000 })).toBe(0)
    })

    it('should release a lapsed lease so an abandoned reservation does not hold budget forever', async () => {
      const time = clock()
      const budget = createBudget({
        limits: [{ scope: 'thread', tokens: 1000 }],
        leaseMs: 60_000,
        now: time.now,
      })
      const ctx = { thread: 't' }
      await budget.reserve(ctx, { inputTokens: 500, maxOutputTokens: 400 })
      await expect(budget.reserve(ctx, { inputTokens: 500, maxOutputTokens: 0 })).rejects.toThrow(
        BudgetExceededError,
      )
      time.advance(60_001)
      const r = await budget.reserve(ctx, { inputTokens: 500, maxOutputTokens: 0 })
      expect((await budget.status(ctx))[0]).toMatchObject({ used: 0, reserved: 500 })
      expect(await r.renew()).toBe(true)
    })

    it('should let a renewed lease outlive its first expiry', async () => {
      const time = clock()
      const budget = createBudget({
        limits: [{ scope: 'thread', tokens: 1000 }],
        leaseMs: 1000,
        now: time.now,
      })
      const r = await budget.reserve({ thread: 't' }, { inputTokens: 100, maxOutputTokens: 0 })
      time.advance(900)
      expect(r.leaseMs).toBe(1000)
      expect(await r.renew(5000)).toBe(true)
      time.advance(2000)
      expect((await budget.status({ thread: 't' }))[0]!.reserved).toBe(100)
      await r.settle({ inputTokens: 100, outputTokens: 0 })
      expect((await budget.status({ thread: 't' }))[0]).toMatchObject({ used: 100, reserved: 0 })
    })
  })

  describe('settle and release', () => {
    it('should release once, ignore a second release and refuse a settle after it', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const released = collect(budget, 'released')
      const r = await budget.reserve({ thread: 't' }, { inputTokens: 100, maxOutputTokens: 100 })
      await r.release()
      await r.release()
      expect(released).toHaveLength(1)
      await expect(r.settle({ inputTokens: 1, outputTokens: 1 })).rejects.toSatisfy(
        ReservationClosedError.isInstance,
      )
      expect((await budget.status({ thread: 't' }))[0]).toMatchObject({ used: 0, reserved: 0 })
    })

    it('should count usage above the reservation (the provider decides) and never drop it', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], mode: 'enforce' })
      const r = await budget.reserve({ thread: 't' }, { inputTokens: 100, maxOutputTokens: 100 })
      await r.settle({ inputTokens: 150, outputTokens: 120 })
      expect((await budget.status({ thread: 't' }))[0]).toMatchObject({ used: 270, reserved: 0 })
    })

    it('should price cached and reasoning tokens apart and mark estimated usage', async () => {
      const budget = createBudget({ limits: [{ scope: 'agent', costUsd: 1 }], prices })
      const settled = collect(budget, 'settled')
      const r = await budget.reserve(
        { agent: 'a' },
        { model: 'gpt-4o', inputTokens: 2000, maxOutputTokens: 1000 },
      )
      const { costUsd, usage } = await r.settle({
        inputTokens: 2000,
        outputTokens: 500,
        cachedInputTokens: 1000,
        reasoningTokens: 200,
        estimated: true,
      })
      expect(costUsd).toBeCloseTo((1000 * 2.5 + 1000 * 1.25 + 500 * 10) / 1e6, 12)
      expect(usage).toMatchObject({ cachedInputTokens: 1000, reasoningTokens: 200, estimatedRequests: 1 })
      expect(settled[0]).toMatchObject({ estimated: true, model: 'gpt-4o' })
    })
  })

  describe('thresholds', () => {
    it('should warn once per threshold crossed, with every field, and queue it for the thread', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
      const events = collect(budget, 'warning')
      const ctx = { thread: 't-1' }
      expect((await budget.record(ctx, { inputTokens: 70_000, outputTokens: 0 })).warnings).toEqual([])
      const { warnings } = await budget.record(ctx, { inputTokens: 6000, outputTokens: 0 })
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatchObject({
        severity: 'warning',
        threshold: 0.75,
        percentUsed: 76,
        used: 76_000,
        remaining: 24_000,
        limit: 100_000,
        unit: 'tokens',
        scope: 'thread',
        scopeId: 't-1',
        period: 'none',
      })
      expect(warnings[0]!.message).toContain('76%')
      expect((await budget.record(ctx, { inputTokens: 1000, outputTokens: 0 })).warnings).toEqual([])
      // one settle can cross two thresholds at once
      const both = await budget.record(ctx, { inputTokens: 18_000, outputTokens: 0 })
      expect(both.warnings.map((w) => w.severity)).toEqual(['critical', 'final'])
      expect(events.map((e) => e.threshold)).toEqual([0.75, 0.9, 0.95])
      expect(budget.takeWarnings(ctx).map((w) => w.severity)).toEqual(['final'])
      expect(budget.takeWarnings(ctx)).toEqual([])
    })

    it('should deliver an agent-wide warning once to each of the agent’s threads', async () => {
      const budget = createBudget({ limits: [{ scope: 'agent', tokens: 1000 }] })
      await budget.record({ agent: 'a', thread: 't-1' }, { inputTokens: 800, outputTokens: 0 })
      expect(budget.takeWarnings({ agent: 'a', thread: 't-1' })).toHaveLength(1)
      expect(budget.takeWarnings({ agent: 'a', thread: 't-1' })).toHaveLength(0)
      expect(budget.takeWarnings({ agent: 'a', thread: 't-2' })).toHaveLength(1)
      expect(budget.takeWarnings({ agent: 'a', thread: 't-2' })).toHaveLength(0)
      expect(budget.takeWarnings({ agent: 'b', thread: 't-3' })).toHaveLength(0)
    })

    it('should show restored warnings again at the conversation’s next call', async () => {
      const budget = createBudget({ limits: [{ scope: 'agent', tokens: 1000 }] })
      await budget.record({ agent: 'a', thread: 't-1' }, { inputTokens: 800, outputTokens: 0 })
      const taken = budget.takeWarnings({ agent: 'a', thread: 't-1' })
      expect(taken).toHaveLength(1)
      budget.restoreWarnings({ agent: 'a', thread: 't-1' }, taken) // the call carrying them failed
      expect(budget.takeWarnings({ agent: 'a', thread: 't-1' })).toEqual(taken)
      expect(budget.takeWarnings({ agent: 'a', thread: 't-1' })).toEqual([])
      // a newer crossing replaces a restored one: the conversation sees the newer state once
      const again = budget.takeWarnings({ agent: 'a', thread: 't-2' })
      await budget.record({ agent: 'a', thread: 't-2' }, { inputTokens: 150, outputTokens: 0 })
      budget.restoreWarnings({ agent: 'a', thread: 't-2' }, again)
      expect(budget.takeWarnings({ agent: 'a', thread: 't-2' }).map((w) => w.severity)).toEqual(['final'])
    })

    it('should use the message template and per-limit thresholds', async () => {
      const budget = createBudget({
        limits: [{ scope: 'thread', tokens: 100, thresholds: [{ at: 0.5, severity: 'info' }] }],
        messages: { warning: (w) => `${w.scope} at ${Math.round(w.percentUsed)}%` },
      })
      const { warnings } = await budget.record({ thread: 't' }, { inputTokens: 60, outputTokens: 0 })
      expect(warnings.map((w) => [w.severity, w.message])).toEqual([['info', 'thread at 60%']])
    })

    it('should warn again in the next period', async () => {
      const time = clock(Date.UTC(2026, 10, 23, 23))
      const budget = createBudget({ limits: [{ scope: 'user', tokens: 100, period: 'day' }], now: time.now })
      const resets = collect(budget, 'reset')
      expect(
        (await budget.record({ user: 'u' }, { inputTokens: 80, outputTokens: 0 })).warnings,
      ).toHaveLength(1)
      time.advance(3_600_000)
      expect((await budget.status({ user: 'u' }))[0]).toMatchObject({
        used: 0,
        periodStart: Date.UTC(2026, 10, 24),
      })
      expect(
        (await budget.record({ user: 'u' }, { inputTokens: 80, outputTokens: 0 })).warnings,
      ).toHaveLength(1)
      expect(resets).toEqual([
        expect.objectContaining({
          period: 'day',
          previousStart: Date.UTC(2026, 10, 23),
          start: Date.UTC(2026, 10, 24),
        }),
      ])
    })
  })

  describe('modes', () => {
    const limits: BudgetOptions['limits'] = [{ scope: 'thread', tokens: 100 }]

    it('should never block in warn mode but still report the excess and warn', async () => {
      const budget = createBudget({ limits, mode: 'warn' })
      const events = collect(budget, 'exceeded')
      const r = await budget.reserve({ thread: 't' }, { inputTokens: 90, maxOutputTokens: 50 })
      expect(events[0]).toMatchObject({ blocked: false, mode: 'warn', scope: 'thread', requested: 140 })
      const { warnings } = await r.settle({ inputTokens: 90, outputTokens: 50 })
      expect(warnings).toHaveLength(3)
      // the conversation is told the most urgent one only
      expect(budget.takeWarnings({ thread: 't' }).map((w) => w.severity)).toEqual(['final'])
    })

    it('should report what would have been blocked in dry-run mode and inject nothing', async () => {
      const budget = createBudget({ limits, mode: 'dry-run' })
      const events = collect(budget, 'exceeded')
      const warned = collect(budget, 'warning')
      const r = await budget.reserve({ thread: 't' }, { inputTokens: 90, maxOutputTokens: 50 })
      await r.settle({ inputTokens: 90, outputTokens: 50 })
      expect(events).toEqual([expect.objectContaining({ blocked: false, mode: 'dry-run' })])
      expect(warned).toHaveLength(3)
      expect(budget.takeWarnings({ thread: 't' })).toEqual([])
    })

    it('should block and emit a blocked event in enforce mode', async () => {
      const budget = createBudget({ limits })
      const events = collect(budget, 'exceeded')
      await exceeded(() => budget.reserve({ thread: 't' }, { inputTokens: 90, maxOutputTokens: 50 }))
      expect(events).toEqual([expect.objectContaining({ blocked: true, mode: 'enforce' })])
    })
  })

  describe('prices', () => {
    it('should fail closed on an unknown model price when a USD limit applies', async () => {
      const budget = createBudget({ limits: [{ scope: 'agent', costUsd: 5 }], prices })
      const error = await budget
        .reserve({ agent: 'a' }, { model: 'mystery-1', inputTokens: 10 })
        .catch((e) => e)
      expect(UnknownPriceError.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ model: 'mystery-1', limitName: 'agent/none' })
      expect((await budget.status({ agent: 'a' }))[0]!.reserved).toBe(0)
    })

    it('should count an unknown price as unpriced with an event when told to warn', async () => {
      const budget = createBudget({ limits: [{ scope: 'agent', costUsd: 5 }], prices, unknownPrice: 'warn' })
      const unknown = collect(budget, 'priceUnknown')
      const { usage } = await budget.record(
        { agent: 'a' },
        { model: 'mystery-1', inputTokens: 10, outputTokens: 5 },
      )
      expect(usage).toMatchObject({ costUsd: 0, unpricedRequests: 1 })
      expect(unknown.length).toBeGreaterThan(0)
      const report = await budget.report()
      expect(report.totals.unpricedRequests).toBe(1)
    })

    it('should not need a price when no USD limit applies', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100 }] })
      const { usage } = await budget.record(
        { thread: 't' },
        { model: 'mystery-1', inputTokens: 10, outputTokens: 5 },
      )
      expect(usage).toMatchObject({ tokens: 15, costUsd: 0, unpricedRequests: 1 })
    })
  })

  describe('report', () => {
    it('should list limits and top spenders by agent, user and model with cost', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }], prices })
      await budget.record(
        { agent: 'a', user: 'u1', thread: 't1' },
        { model: 'gpt-4o', inputTokens: 1000, outputTokens: 100 },
      )
      await budget.record(
        { agent: 'b', user: 'u1', thread: 't2' },
        { model: 'gpt-4o', inputTokens: 3000, outputTokens: 300 },
      )
      const report = await budget.report()
      expect(report.top.agent!.map((s) => [s.id, s.usage.tokens])).toEqual([
        ['b', 3300],
        ['a', 1100],
      ])
      expect(report.top.user!.map((s) => s.id)).toEqual(['u1'])
      expect(report.top.model![0]!.usage.costUsd).toBeCloseTo((4000 * 2.5 + 400 * 10) / 1e6, 12)
      expect(report.totals.requests).toBe(2)
      expect(report.limits.map((l) => [l.scopeId, l.used])).toEqual([
        ['t2', 3300],
        ['t1', 1100],
      ])
    })
  })

  describe('events', () => {
    it('should keep going when a handler throws and report the error', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100 }] })
      const errors = collect(budget, 'handlerError')
      budget.on('settled', () => {
        throw new Error('boom')
      })
      await budget.record({ thread: 't' }, { inputTokens: 1, outputTokens: 1 })
      expect(errors).toEqual([expect.objectContaining({ event: 'settled' })])
    })
  })
})
