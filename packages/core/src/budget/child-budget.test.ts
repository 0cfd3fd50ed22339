import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { ReservationClosedError } from '../errors/reservation-closed-error.ts'
import type { Budget } from './budget.ts'
import { createBudget } from './create-budget.ts'

const parentCtx = { agent: 'coordinator', thread: 't-1' }

async function tokens(budget: Budget, ctx: Record<string, string> = parentCtx) {
  const [status] = await budget.status(ctx)
  return { used: status!.used, reserved: status!.reserved, remaining: status!.remaining }
}

function clock(start = Date.UTC(2026, 10, 23, 12)) {
  let now = start
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

describe('budget.child', () => {
  describe('allotment', () => {
    it('should show the allotment as reserved on the parent while the child lives', async () => {
      const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const child = await parent.child(parentCtx, { tokens: 4000, name: 'researcher' })
      expect(await tokens(parent)).toEqual({ used: 0, reserved: 4000, remaining: 6000 })
      expect(child.caps).toEqual({ tokens: 4000 })
      expect(child.state).toBe('open')
    })

    it('should charge the parent what the child used and return the rest when it ends', async () => {
      const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const child = await parent.child(parentCtx, { tokens: 4000 })
      const r = await child.reserve({ agent: 'researcher' }, { inputTokens: 500, maxOutputTokens: 500 })
      await r.settle({ inputTokens: 400, outputTokens: 300 })
      await child.record({ agent: 'researcher' }, { inputTokens: 100, outputTokens: 50 })
      const { usage } = await child.end()
      expect(usage.tokens).toBe(850)
      expect(usage.requests).toBe(2)
      expect(await tokens(parent)).toEqual({ used: 850, reserved: 0, remaining: 9150 })
    })

    it('should refuse a child larger than what the parent has left and hold nothing', async () => {
      const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      await parent.record(parentCtx, { inputTokens: 5000, outputTokens: 2000 })
      const error = await parent.child(parentCtx, { tokens: 3001 }).catch((e: unknown) => e)
      expect(BudgetExceededError.isInstance(error)).toBe(true)
      expect((error as BudgetExceededError).remaining).toBe(3000)
      expect(await tokens(parent)).toEqual({ used: 7000, reserved: 0, remaining: 3000 })
    })

    it('should grant what the parent has left with clamp', async () => {
      const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      await parent.record(parentCtx, { inputTokens: 5000, outputTokens: 2000 })
      const child = await parent.child(parentCtx, { tokens: 5000, clamp: true })
      expect(child.caps.tokens).toBe(3000)
      expect(await tokens(parent)).toEqual({ used: 7000, reserved: 3000, remaining: 0 })
    })

    it('should refuse a unit the parent caps but the allotment leaves unbounded, naming the field', async () => {
      const parent = createBudget({
        limits: [{ scope: 'thread', tokens: 10_000, costUsd: 1 }],
        prices: { models: { m: { inputPerMillion: 1, outputPerMillion: 1 } } },
      })
      const error = await parent.child(parentCtx, { tokens: 1000 }).catch((e: unknown) => e)
      expect(BudgetValidationError.isInstance(error)).toBe(true)
      expect((error as BudgetValidationError).field).toBe('allotment.costUsd')
    })

    it('should reject an allotment without any unit', async () => {
      const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      await expect(parent.child(parentCtx, {})).rejects.toMatchObject({ field: 'allotment' })
      await expect(parent.child(parentCtx, { tokens: -1 })).rejects.toMatchObject({
        field: 'allotment.tokens',
      })
    })
  })

  describe('reserve', () => {
    it('should enforce the allotment as the child own limit', async () => {
      const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const child = await parent.child(parentCtx, { tokens: 1000, name: 'writer' })
      await child.record({}, { inputTokens: 600, outputTokens: 100 })
      const error = await child
        .reserve({}, { inputTokens: 200, maxOutputTokens: 200 })
        .catch((e: unknown) => e)
      expect(BudgetExceededError.isInstance(error)).toBe(true)
      expect((error as BudgetExceededError).limitName).toBe('child:writer')
      expect((await child.status({}))[0]).toMatchObject({ used: 700, remaining: 300 })
    })

    it('should warn the sub-agent about its own allotment', async () => {
      const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const child = await parent.child(parentCtx, { tokens: 1000, name: 'writer' })
      const { warnings } = await child.record({ thread: 'w' }, { inputTokens: 700, outputTokens: 100 })
      expect(warnings.map((w) => w.threshold)).toEqual([0.75])
      expect(child.takeWarnings({ thread: 'w' })[0]!.message).toContain('sub-agent "writer"')
    })

    it('should refuse calls once the child ended', async () => {
      const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const child = await parent.child(parentCtx, { tokens: 1000 })
      await child.end()
      expect(child.state).toBe('ended')
      const error = await child.reserve({}, { inputTokens: 1 }).catch((e: unknown) => e)
      expect(ReservationClosedError.isInstance(error)).toBe(true)
      expect((await child.end()).usage.tokens).toBe(0)
      expect(await tokens(parent)).toEqual({ used: 0, reserved: 0, remaining: 10_000 })
    })

    it('should charge a call still in flight at its reservation when the child ends', async () => {
      const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const child = await parent.child(parentCtx, { tokens: 5000 })
      await child.reserve({}, { inputTokens: 100, maxOutputTokens: 400 })
      const { usage } = await child.end()
      expect(usage.tokens).toBe(500)
      expect(await tokens(parent)).toMatchObject({ used: 500, reserved: 0 })
    })
  })

  describe('nesting', () => {
    it('should charge a grandchild usage up to the grandparent', async () => {
      const root = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const child = await root.child(parentCtx, { tokens: 5000 })
      const grandchild = await child.child({ agent: 'helper' }, { tokens: 2000 })
      expect((await child.status({}))[0]).toMatchObject({ reserved: 2000 })
      await grandchild.record({}, { inputTokens: 300, outputTokens: 200 })
      await grandchild.end()
      await child.record({}, { inputTokens: 100, outputTokens: 0 })
      await child.end()
      expect(await tokens(root)).toEqual({ used: 600, reserved: 0, remaining: 9400 })
    })
  })

  describe('extend', () => {
    it('should carve more from the parent and raise the child cap', async () => {
      const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const child = await parent.child(parentCtx, { tokens: 1000 })
      await child.record({}, { inputTokens: 1000, outputTokens: 0 })
      await expect(child.reserve({}, { inputTokens: 10, maxOutputTokens: 10 })).rejects.toThrow(
        /budget exceeded/,
      )
      await child.extend({ tokens: 2000 })
      expect(child.caps.tokens).toBe(3000)
      // the 1000 used are charged already; the first hold is drawn down to 0, the second holds 2000
      expect(await tokens(parent)).toMatchObject({ used: 1000, reserved: 2000 })
      await (await child.reserve({}, { inputTokens: 10, maxOutputTokens: 10 })).settle({
        inputTokens: 10,
        outputTokens: 10,
      })
      await child.end()
      expect(await tokens(parent)).toEqual({ used: 1020, reserved: 0, remaining: 8980 })
    })

    it('should refuse to extend past what the parent has left', async () => {
      const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const child = await parent.child(parentCtx, { tokens: 9000 })
      await expect(child.extend({ tokens: 1001 })).rejects.toSatisfy(BudgetExceededError.isInstance)
      expect(child.caps.tokens).toBe(9000)
    })
  })

  describe('lease', () => {
    it('should renew the hold with the child activity', async () => {
      const time = clock()
      const parent = createBudget({
        limits: [{ scope: 'thread', tokens: 10_000 }],
        leaseMs: 1000,
        now: time.now,
      })
      const child = await parent.child(parentCtx, { tokens: 4000 })
      for (let i = 0; i < 5; i++) {
        time.advance(600)
        await child.record({}, { inputTokens: 10, outputTokens: 0 })
      }
      // each call charged the parent as it settled, drawn from the hold, which stayed alive
      expect(await tokens(parent)).toEqual({ used: 50, reserved: 3950, remaining: 6000 })
    })

    it('should keep what an idle child used charged when its lease lapsed, and hold the rest again', async () => {
      const time = clock()
      const parent = createBudget({
        limits: [{ scope: 'thread', tokens: 10_000 }],
        leaseMs: 1000,
        now: time.now,
      })
      const child = await parent.child(parentCtx, { tokens: 4000 })
      await child.record({}, { inputTokens: 1000, outputTokens: 0 })
      time.advance(5000)
      // the lease lapsed: the rest of the allotment is free again, the 1000 used stay charged
      expect(await tokens(parent)).toEqual({ used: 1000, reserved: 0, remaining: 9000 })
      // the next call holds the 3000 left again and draws its 500 from it
      await child.record({}, { inputTokens: 500, outputTokens: 0 })
      expect(await tokens(parent)).toEqual({ used: 1500, reserved: 2500, remaining: 6000 })
      await child.end()
      expect(await tokens(parent)).toEqual({ used: 1500, reserved: 0, remaining: 8500 })
    })

    it('should stop an idle child whose remainder the parent spent meanwhile', async () => {
      const time = clock()
      const parent = createBudget({
        limits: [{ scope: 'thread', tokens: 10_000 }],
        leaseMs: 1000,
        now: time.now,
      })
      const child = await parent.child(parentCtx, { tokens: 4000 })
      await child.record({}, { inputTokens: 1000, outputTokens: 0 })
      time.advance(5000)
      await parent.record(parentCtx, { inputTokens: 9000, outputTokens: 0 })
      await child.renew()
      await expect(child.reserve({}, { inputTokens: 1, maxOutputTokens: 1 })).rejects.toSatisfy(
        BudgetExceededError.isInstance,
      )
      await child.end()
      expect((await tokens(parent)).used).toBe(10_000)
    })
  })

  describe('concurrent children (property)', () => {
    it('should never grant concurrent children more than the parent has left', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 5000 }),
          fc.array(fc.record({ tokens: fc.integer({ min: 1, max: 4000 }), clamp: fc.boolean() }), {
            minLength: 1,
            maxLength: 12,
          }),
          fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 12, maxLength: 12 }),
          async (spent, requests, usages) => {
            const cap = 10_000
            const parent = createBudget({ limits: [{ scope: 'thread', tokens: cap }] })
            if (spent > 0) await parent.record(parentCtx, { inputTokens: spent, outputTokens: 0 })
            const results = await Promise.allSettled(
              requests.map((request) => parent.child(parentCtx, request)),
            )
            const children = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
            const granted = children.reduce((sum, child) => sum + child.caps.tokens!, 0)
            expect(granted).toBeLessThanOrEqual(cap - spent)
            for (const r of results) {
              if (r.status === 'rejected') expect(BudgetExceededError.isInstance(r.reason)).toBe(true)
            }
            expect(await tokens(parent)).toMatchObject({ used: spent, reserved: granted })
            // each child spends what it can (up to its cap), concurrently, then ends
            await Promise.all(
              children.map(async (child, index) => {
                const want = Math.min(usages[index]!, child.caps.tokens!)
                if (want > 0) {
                  const r = await child.reserve({}, { inputTokens: want, maxOutputTokens: 0 })
                  await r.settle({ inputTokens: want, outputTokens: 0 })
                }
                await child.end()
              }),
            )
            const after = await tokens(parent)
            expect(after.reserved).toBe(0)
            expect(after.used).toBeLessThanOrEqual(cap)
            const expected = children.reduce(
              (sum, child, index) => sum + Math.min(usages[index]!, child.caps.tokens!),
              spent,
            )
            expect(after.used).toBe(expected)
          },
        ),
        { numRuns: 100 },
      )
    })
  })
})
