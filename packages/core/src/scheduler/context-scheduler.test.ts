import { describe, expect, it } from 'vitest'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import type { SignalEvent, SignalHandlerError } from '../signals/agent-signal.ts'
import { ContextScheduler } from './context-scheduler.ts'
import { Priority } from './priority.ts'

async function refused(run: () => Promise<unknown>): Promise<BudgetExceededError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  )
  if (BudgetExceededError.isInstance(error)) return error
  throw new Error(`expected BudgetExceededError, got ${String(error)}`)
}

function signals(scheduler: ContextScheduler) {
  const seen: string[] = []
  for (const signal of ['SIGWARN', 'SIGSTOP', 'SIGRESUME'] as const)
    scheduler.on(signal, (event: SignalEvent) => seen.push(`${event.signal}:${event.agentId}:${event.used}`))
  return seen
}

describe('ContextScheduler', () => {
  describe('allocate', () => {
    it('should grant a window split 90/10 between lookup and reasoning', async () => {
      const scheduler = new ContextScheduler({ totalTokens: 100_000 })
      const window = await scheduler.allocate('researcher', {
        task: 'search',
        priority: 'HIGH',
        maxTokens: 10_000,
      })
      expect(window).toMatchObject({
        agentId: 'researcher',
        task: 'search',
        priority: 'HIGH',
        total: 10_000,
        lookupBudget: 9000,
        reasoningBudget: 1000,
        lookupRatio: 0.9,
      })
      expect(window.reasoningRatio).toBeCloseTo(0.1)
      expect(scheduler.availableTokens).toBe(90_000)
      expect(scheduler.utilization).toBeCloseTo(0.1)
      expect(scheduler.activeCount).toBe(1)
    })

    it('should grant CRITICAL its minimum on a nearly empty pool', async () => {
      const scheduler = new ContextScheduler({ totalTokens: 20_000 })
      await scheduler.allocate('a', { priority: 'NORMAL', maxTokens: 16_000 })
      // 4000 left, all of it the critical reserve: no one else may take it
      await refused(() => scheduler.allocate('b', { priority: 'HIGH', maxTokens: 2000 }))
      const critical = await scheduler.allocate('c', { priority: Priority.CRITICAL, maxTokens: 10_000 })
      expect(critical.total).toBe(4000)
      expect(scheduler.availableTokens).toBe(0)
      // the pool itself is never over-granted
      const [pool] = await scheduler.pool.status({})
      expect(pool!.reserved).toBe(20_000)
    })

    it('should give LOW its minimum or refuse it', async () => {
      const scheduler = new ContextScheduler({ totalTokens: 10_000, criticalReserveTokens: 0 })
      await scheduler.allocate('big', { maxTokens: 9400 })
      const low = await scheduler.allocate('low', { priority: 'LOW', maxTokens: 3000 })
      expect(low.total).toBe(600) // less than asked, not less than 500
      await scheduler.release('low')
      await scheduler.allocate('mid', { maxTokens: 200 })
      const error = await refused(() => scheduler.allocate('low2', { priority: 'LOW', maxTokens: 3000 }))
      expect(error).toMatchObject({ requested: 500, remaining: 400, scopeId: 'low2' })
      expect(scheduler.window('low2')).toBeUndefined()
    })

    it('should reject bad input naming the field', async () => {
      const scheduler = new ContextScheduler({ totalTokens: 10_000 })
      await expect(scheduler.allocate('', {})).rejects.toSatisfy(BudgetValidationError.isInstance)
      await expect(scheduler.allocate('a', { priority: 'URGENT' as never })).rejects.toMatchObject({
        field: 'request.priority',
      })
      await expect(scheduler.allocate('a', { maxTokens: 1.5 })).rejects.toMatchObject({
        field: 'request.maxTokens',
      })
      expect(() => new ContextScheduler({ totalTokens: -1 })).toThrow(/totalTokens/)
      await scheduler.allocate('a', { maxTokens: 1000 })
      await expect(scheduler.allocate('a', { maxTokens: 1000 })).rejects.toMatchObject({ field: 'agentId' })
    })
  })

  describe('recordUsage', () => {
    it('should return used, remaining and utilization, and throw past the window', async () => {
      const scheduler = new ContextScheduler({ totalTokens: 100_000 })
      await scheduler.allocate('a', { maxTokens: 1000 })
      expect(await scheduler.recordUsage('a', { lookupTokens: 300, reasoningTokens: 100 })).toEqual({
        totalUsed: 400,
        remaining: 600,
        utilization: 0.4,
      })
      const error = await refused(() => scheduler.recordUsage('a', { lookupTokens: 700 }))
      expect(error).toMatchObject({ scope: 'agent', scopeId: 'a', limit: 1000, used: 1100 })
    })
  })

  describe('signals', () => {
    it('should fire SIGWARN once per crossing, not on every call', async () => {
      const scheduler = new ContextScheduler({ totalTokens: 100_000 })
      const seen = signals(scheduler)
      await scheduler.allocate('a', { maxTokens: 1000 })
      await scheduler.recordUsage('a', { lookupTokens: 700 })
      await scheduler.recordUsage('a', { lookupTokens: 150 })
      await scheduler.recordUsage('a', { lookupTokens: 50 })
      await scheduler.recordUsage('a', { reasoningTokens: 10 })
      expect(seen).toEqual(['SIGWARN:a:850'])
      // replenished, it can cross the (raised) threshold again: once more
      await scheduler.replenish('a', 1000)
      await scheduler.recordUsage('a', { lookupTokens: 500 })
      await scheduler.recordUsage('a', { lookupTokens: 200 })
      expect(seen).toEqual(['SIGWARN:a:850', 'SIGWARN:a:1610'])
    })

    it('should SIGSTOP at 100 %, refuse further usage, then SIGRESUME when replenished and run again', async () => {
      const scheduler = new ContextScheduler({ totalTokens: 100_000 })
      const seen = signals(scheduler)
      const window = await scheduler.allocate('a', { maxTokens: 1000 })
      await scheduler.recordUsage('a', { lookupTokens: 1000 })
      expect(seen).toEqual(['SIGWARN:a:1000', 'SIGSTOP:a:1000'])
      expect(scheduler.window('a')!.halted).toBe(true)
      const error = await refused(() => scheduler.recordUsage('a', { reasoningTokens: 1 }))
      expect(error.message).toContain('halted')
      // the window's budget refuses model calls too (what an adapter enforces)
      await refused(() => window.budget.reserve({}, { inputTokens: 10, maxOutputTokens: 10 }))
      await scheduler.replenish('a', 2000)
      expect(seen.at(-1)).toBe('SIGRESUME:a:1001')
      expect(scheduler.window('a')!.halted).toBe(false)
      expect(await scheduler.recordUsage('a', { lookupTokens: 100 })).toMatchObject({ totalUsed: 1101 })
      const r = await window.budget.reserve({}, { inputTokens: 10, maxOutputTokens: 10 })
      await r.settle({ inputTokens: 10, outputTokens: 5 })
    })

    it('should keep going when a handler throws, and report it', async () => {
      const scheduler = new ContextScheduler({ totalTokens: 100_000 })
      const failures: SignalHandlerError[] = []
      const seen = signals(scheduler)
      scheduler.on('SIGWARN', () => {
        throw new Error('handler bug')
      })
      scheduler.on('handlerError', (failure) => failures.push(failure))
      await scheduler.allocate('a', { maxTokens: 1000 })
      await scheduler.recordUsage('a', { lookupTokens: 900 })
      expect(failures).toMatchObject([{ signal: 'SIGWARN', agentId: 'a' }])
      expect((failures[0]!.error as Error).message).toBe('handler bug')
      expect(seen).toEqual(['SIGWARN:a:900'])
      expect(await scheduler.recordUsage('a', { lookupTokens: 50 })).toMatchObject({ totalUsed: 950 })
    })
  })

  describe('release', () => {
    it('should return the unused tokens to the pool and charge the used ones', async () => {
      const scheduler = new ContextScheduler({ totalTokens: 10_000 })
      await scheduler.allocate('a', { maxTokens: 4000 })
      await scheduler.recordUsage('a', { lookupTokens: 1000, reasoningTokens: 500 })
      expect(await scheduler.release('a')).toEqual({ used: 1500, returned: 2500 })
      expect(scheduler.availableTokens).toBe(8500)
      expect(scheduler.activeCount).toBe(0)
      await expect(scheduler.recordUsage('a', { lookupTokens: 1 })).rejects.toMatchObject({
        field: 'agentId',
      })
    })
  })

  describe('healthReport', () => {
    it('should report the pool and every window', async () => {
      const scheduler = new ContextScheduler({ totalTokens: 10_000 })
      await scheduler.allocate('a', { task: 'search', priority: 'HIGH', maxTokens: 4000 })
      await scheduler.recordUsage('a', { lookupTokens: 1000 })
      expect(await scheduler.healthReport()).toEqual({
        totalTokens: 10_000,
        availableTokens: 6000,
        criticalReserveTokens: 4000,
        utilization: 0.4,
        activeCount: 1,
        agents: [
          {
            agentId: 'a',
            task: 'search',
            priority: 'HIGH',
            total: 4000,
            halted: false,
            totalUsed: 1000,
            remaining: 3000,
            utilization: 0.25,
          },
        ],
      })
    })
  })
})
