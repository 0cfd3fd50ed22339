import { describe, expect, it } from 'vitest'
import type { BudgetEventName, BudgetEvents } from '../events/budget-events.ts'
import { memoryStore } from '../stores/memory-store.ts'
import type { Budget } from './budget.ts'
import { createBudget } from './create-budget.ts'

const context = { thread: 't' }

function collect<E extends BudgetEventName>(budget: Budget, event: E) {
  const seen: BudgetEvents[E][] = []
  budget.on(event, (e) => seen.push(e))
  return seen
}

async function tokens(budget: Budget) {
  const [status] = await budget.status(context)
  return { used: status!.used, reserved: status!.reserved }
}

function throwingTemplate(): string {
  throw new Error('template bug')
}

describe('createBudget user callbacks', () => {
  describe('messages.warning', () => {
    it('should settle once when the template throws, with the default text and the error reported', async () => {
      const budget = createBudget({
        limits: [{ scope: 'thread', tokens: 100 }],
        messages: { warning: throwingTemplate },
      })
      const errors = collect(budget, 'handlerError')
      const reservation = await budget.reserve(context, { inputTokens: 80, maxOutputTokens: 0 })
      const result = await reservation.settle({ inputTokens: 80, outputTokens: 0 })
      expect(reservation.state).toBe('settled')
      expect(await tokens(budget)).toEqual({ used: 80, reserved: 0 })
      expect(result.warnings).toHaveLength(1)
      expect(result.warnings[0]!.message).toMatch(/80%/)
      expect(budget.takeWarnings(context).map((w) => w.threshold)).toEqual([0.75])
      expect(errors).toEqual([{ event: 'messages.warning', error: new Error('template bug') }])
    })

    it('should use the default text when the template returns no string', async () => {
      const budget = createBudget({
        limits: [{ scope: 'thread', tokens: 100 }],
        messages: { warning: () => undefined as unknown as string },
      })
      const errors = collect(budget, 'handlerError')
      const { warnings } = await budget.record(context, { inputTokens: 90, outputTokens: 0 })
      expect(warnings.map((w) => typeof w.message)).toEqual(['string', 'string'])
      expect(errors.map((e) => e.error)).toEqual([
        expect.objectContaining({ field: 'messages.warning' }),
        expect.objectContaining({ field: 'messages.warning' }),
      ])
    })

    it('should not leak a reservation when catching up another process’s crossing runs a throwing template', async () => {
      const store = memoryStore()
      const limits = [{ scope: 'thread', tokens: 100 }]
      await createBudget({ limits, store }).record(context, { inputTokens: 80, outputTokens: 0 })
      const budget = createBudget({ limits, store, messages: { warning: throwingTemplate } })
      const errors = collect(budget, 'handlerError')
      const reservation = await budget.reserve(context, { inputTokens: 5, maxOutputTokens: 5 })
      expect(await tokens(budget)).toEqual({ used: 80, reserved: 10 })
      await reservation.release()
      expect(await tokens(budget)).toEqual({ used: 80, reserved: 0 })
      expect(budget.takeWarnings(context)).toHaveLength(1)
      expect(errors.map((e) => e.event)).toEqual(['messages.warning'])
    })
  })

  describe('event handlers', () => {
    it.each(['reserved', 'settled', 'warning'] as const)(
      'should keep the counters consistent when a %s handler throws',
      async (event) => {
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100 }] })
        const errors = collect(budget, 'handlerError')
        budget.on(event, () => {
          throw new Error(event)
        })
        const reservation = await budget.reserve(context, { inputTokens: 80, maxOutputTokens: 5 })
        await reservation.settle({ inputTokens: 80, outputTokens: 0 })
        expect(await tokens(budget)).toEqual({ used: 80, reserved: 0 })
        expect(errors.map((e) => e.event)).toContain(event)
      },
    )

    it('should refuse cleanly when an exceeded handler throws', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100 }] })
      const errors = collect(budget, 'handlerError')
      budget.on('exceeded', () => {
        throw new Error('exceeded')
      })
      await expect(budget.reserve(context, { inputTokens: 200, maxOutputTokens: 0 })).rejects.toMatchObject({
        code: 'budget_exceeded',
      })
      expect(await tokens(budget)).toEqual({ used: 0, reserved: 0 })
      expect(errors.map((e) => e.event)).toEqual(['exceeded'])
    })

    it('should report an async handler’s rejection instead of leaving it unhandled', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100 }] })
      const errors = collect(budget, 'handlerError')
      budget.on('settled', async () => {
        throw new Error('async boom')
      })
      await budget.record(context, { inputTokens: 1, outputTokens: 1 })
      await new Promise((resolve) => setTimeout(resolve, 0))
      expect(errors).toEqual([{ event: 'settled', error: new Error('async boom') }])
    })
  })
})
