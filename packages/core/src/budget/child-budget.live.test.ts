import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import type { BudgetEvents } from '../events/budget-events.ts'
import type { BudgetStore } from '../stores/budget-store.ts'
import { memoryStore } from '../stores/memory-store.ts'
import type { Budget } from './budget.ts'
import { createBudget } from './create-budget.ts'

const parentCtx = { agent: 'coordinator', thread: 't-1' }

async function tokens(budget: Budget, ctx: Record<string, string> = parentCtx) {
  const [status] = await budget.status(ctx)
  return { used: status!.used, reserved: status!.reserved }
}

function clock(start = Date.UTC(2026, 10, 23, 12)) {
  let now = start
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

/** A memory store whose commit of a child's hold fails once (as a store outage during `end()`). */
function failingOnceStore(): BudgetStore {
  const inner = memoryStore()
  let failed = false
  return {
    name: 'flaky',
    reserve: (request) => inner.reserve(request),
    async commit(request) {
      if (!failed && request.reservationId?.endsWith('-hold') && request.usage === null) {
        failed = true
        throw new Error('store unavailable')
      }
      return inner.commit(request)
    },
    renew: (request) => inner.renew(request),
    read: (request) => inner.read(request),
    list: (request) => inner.list(request),
  }
}

describe('budget.child (part of the parent, live)', () => {
  it("should hold a child's calls to the parent's model-scoped limit", async () => {
    const parent = createBudget({
      limits: [
        { scope: 'thread', tokens: 10_000 },
        { scope: 'model', id: 'gpt-4o', tokens: 1000 },
      ],
    })
    const child = await parent.child(parentCtx, { tokens: 8000 })
    const error = await child
      .reserve({}, { model: 'gpt-4o', inputTokens: 5000, maxOutputTokens: 0 })
      .catch((e: unknown) => e)
    expect(BudgetExceededError.isInstance(error)).toBe(true)
    expect((error as BudgetExceededError).scope).toBe('model')
    const r = await child.reserve({}, { model: 'gpt-4o', inputTokens: 600, maxOutputTokens: 100 })
    await r.settle({ inputTokens: 600, outputTokens: 100 })
    const [model] = await parent.status({}, { model: 'gpt-4o' })
    expect(model).toMatchObject({ scope: 'model', used: 700 })
    await expect(
      child.reserve({}, { model: 'gpt-4o', inputTokens: 400, maxOutputTokens: 0 }),
    ).rejects.toSatisfy(BudgetExceededError.isInstance)
  })

  it("should emit the parent's settled event for each child call as it settles", async () => {
    const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
    const settled: BudgetEvents['settled'][] = []
    parent.on('settled', (event) => settled.push(event))
    const child = await parent.child(parentCtx, { tokens: 4000 })
    const r = await child.reserve({ user: 'u1' }, { inputTokens: 100, maxOutputTokens: 100 })
    await r.settle({ inputTokens: 100, outputTokens: 20 })
    expect(settled).toHaveLength(1)
    expect(settled[0]).toMatchObject({ reservationId: r.id, usage: { tokens: 120 } })
    expect(settled[0]!.context).toMatchObject({ ...parentCtx, user: 'u1' })
    expect(await tokens(parent)).toEqual({ used: 120, reserved: 3880 })
  })

  it("should include a child's usage in the parent's report totals and top spenders", async () => {
    const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
    const child = await parent.child(parentCtx, { tokens: 4000 })
    await child.record({ user: 'u1' }, { inputTokens: 300, outputTokens: 50 })
    const report = await parent.report()
    expect(report.totals.tokens).toBe(350)
    expect(report.top.user?.[0]).toMatchObject({ id: 'u1', usage: { tokens: 350 } })
    expect(report.top.agent?.[0]).toMatchObject({ id: 'coordinator', usage: { tokens: 350 } })
  })

  it('should not charge an idle child whose hold lapsed twice', async () => {
    const time = clock()
    const parent = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], leaseMs: 1000, now: time.now })
    const child = await parent.child(parentCtx, { tokens: 1000 })
    await child.record({}, { inputTokens: 700, outputTokens: 0 })
    time.advance(5000)
    // the hold lapsed: the parent has exactly the 300 the child did not use
    await expect(parent.reserve(parentCtx, { inputTokens: 600, maxOutputTokens: 0 })).rejects.toSatisfy(
      BudgetExceededError.isInstance,
    )
    await (await parent.reserve(parentCtx, { inputTokens: 300, maxOutputTokens: 0 })).settle({
      inputTokens: 300,
      outputTokens: 0,
    })
    const { usage } = await child.end()
    expect(usage.tokens).toBe(700)
    expect(await tokens(parent)).toEqual({ used: 1000, reserved: 0 })
  })

  it('should charge exactly once when an end() that failed is retried', async () => {
    const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }], store: failingOnceStore() })
    const child = await parent.child(parentCtx, { tokens: 4000 })
    await child.record({}, { inputTokens: 700, outputTokens: 0 })
    await child.reserve({}, { inputTokens: 100, maxOutputTokens: 100 })
    await expect(child.end()).rejects.toThrow(/store unavailable/)
    const { usage } = await child.end()
    expect(usage.tokens).toBe(900)
    expect(await tokens(parent)).toEqual({ used: 900, reserved: 0 })
    expect((await child.end()).usage.tokens).toBe(900)
    expect(await tokens(parent)).toEqual({ used: 900, reserved: 0 })
  })

  it('should keep settled child usage in the parent when the child is dropped without end()', async () => {
    const time = clock()
    const parent = createBudget({
      limits: [{ scope: 'thread', tokens: 10_000 }],
      leaseMs: 1000,
      now: time.now,
    })
    const child = await parent.child(parentCtx, { tokens: 4000 })
    const r = await child.reserve({}, { inputTokens: 500, maxOutputTokens: 500 })
    await r.settle({ inputTokens: 400, outputTokens: 200 })
    await child.reserve({}, { inputTokens: 100, maxOutputTokens: 100 }) // in flight when the process dies
    // the process dies: nobody ends the child; its hold and the call in flight lapse
    time.advance(5000)
    expect(await tokens(parent)).toEqual({ used: 600, reserved: 0 })
  })

  it('should add a late settle of a call that end() closed at its reservation only once', async () => {
    const parent = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
    const child = await parent.child(parentCtx, { tokens: 4000 })
    const r = await child.reserve({}, { inputTokens: 100, maxOutputTokens: 400 })
    expect((await child.end()).usage.tokens).toBe(500)
    await r.settle({ inputTokens: 100, outputTokens: 50 })
    expect(await tokens(parent)).toEqual({ used: 500, reserved: 0 })
  })

  describe('concurrency (property)', () => {
    it('should keep parent used + reserved within the limit under concurrent children, child calls and parent calls', async () => {
      const cap = 10_000
      const call = fc.record({
        child: fc.integer({ min: -1, max: 3 }), // -1: a call of the parent itself
        inputTokens: fc.integer({ min: 0, max: 1500 }),
        maxOutputTokens: fc.integer({ min: 0, max: 1500 }),
        share: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
        user: fc.constantFrom('u1', 'u2'),
      })
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 4 }),
          fc.array(call, { minLength: 1, maxLength: 30 }),
          async (s, allotments, calls) => {
            const parent = createBudget({
              limits: [
                { scope: 'thread', tokens: cap },
                { scope: 'user', tokens: 4000 },
              ],
            })
            const within = async () => {
              for (const ctx of [parentCtx, { ...parentCtx, user: 'u1' }, { ...parentCtx, user: 'u2' }]) {
                for (const status of await parent.status(ctx))
                  expect(status.used + status.reserved).toBeLessThanOrEqual(status.limit)
              }
            }
            const children = (
              await Promise.allSettled(allotments.map((tokens) => parent.child(parentCtx, { tokens })))
            ).flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
            expect(children.reduce((sum, child) => sum + child.caps.tokens!, 0)).toBeLessThanOrEqual(cap)
            let settled = 0
            const run = async (c: (typeof calls)[number]) => {
              const budget: Budget =
                c.child < 0 ? parent : (children[c.child % Math.max(1, children.length)] ?? parent)
              await s.schedule(Promise.resolve(), 'reserve')
              let r: Awaited<ReturnType<Budget['reserve']>>
              try {
                r = await budget.reserve(
                  budget === parent ? { ...parentCtx, user: c.user } : { user: c.user },
                  c,
                )
              } catch (error) {
                if (!BudgetExceededError.isInstance(error)) throw error
                return
              }
              await within()
              await s.schedule(Promise.resolve(), 'settle')
              if (c.share === null) await r.release()
              else {
                const inputTokens = Math.floor(r.inputTokens * c.share)
                const outputTokens = Math.floor(r.maxOutputTokens * c.share)
                await r.settle({ inputTokens, outputTokens })
                settled += inputTokens + outputTokens
              }
              await within()
            }
            await s.waitFor(Promise.all(calls.map(run)))
            await Promise.all(children.map((child) => child.end()))
            await within()
            expect(await tokens(parent)).toEqual({ used: settled, reserved: 0 })
          },
        ),
        { numRuns: 100 },
      )
    })
  })
})
