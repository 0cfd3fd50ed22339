import type { StoreUnavailableEvent } from '@tokenwarden/core'
import {
  BudgetExceededError,
  type CounterCharge,
  createBudget,
  encodeCounterKey,
  StoreUnavailableError,
} from '@tokenwarden/core'
import type { FleetWorkerConfig } from '@tokenwarden/core/testing'
import { type ForkedWorker, forkWorker } from '@tokenwarden/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from './redis-store.ts'
import { type RedisServer, startRedisServer } from './testing/redis-server.ts'

let server: RedisServer
beforeAll(async () => {
  server = await startRedisServer({ appendOnly: true })
})
afterAll(async () => {
  await server?.close()
})

const workerScript = new URL('./testing/redis-fleet-worker.ts', import.meta.url)
const startWorker = (prefix: string, config: FleetWorkerConfig): ForkedWorker =>
  forkWorker(workerScript, [server.url, prefix, JSON.stringify(config)])
/** The counter of `{ scope: 'global', tokens }` (no period), as the workers' budget names it. */
const globalCounter = (tokens: number): CounterCharge => ({
  key: encodeCounterKey({ name: 'global/none', scope: 'global', scopeId: 'global', periodStart: 0 }),
  caps: { tokens },
  expiresAt: null,
})

describe('redisStore', () => {
  describe('multi-process', () => {
    it('should grant exactly what the budget affords to 4 processes × 250 concurrent reservations', async () => {
      const limitTokens = 10_000 // affords 500 reservations of 20 tokens
      const workers = Array.from({ length: 4 }, () =>
        startWorker('fleet', { mode: 'contend', limitTokens, count: 250, leaseMs: 600_000 }),
      )
      const reserved = await Promise.all(workers.map((worker) => worker.next('reserved')))
      expect(reserved.reduce((sum, message) => sum + message.granted, 0)).toBe(500)
      expect(reserved.reduce((sum, message) => sum + message.refused, 0)).toBe(500)
      for (const worker of workers) worker.child.send('settle')
      await Promise.all(workers.map((worker) => worker.next('done')))
      expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0, 0, 0])

      const store = redisStore({ url: server.url, prefix: 'fleet' })
      const [state] = await store.read({ now: Date.now(), counters: [globalCounter(limitTokens)] })
      expect(state!.used.tokens).toBe(500 * 15)
      expect(state!.used.tokens).toBeLessThanOrEqual(limitTokens)
      expect(state!.used.requests).toBe(500)
      expect(state!.reserved.tokens).toBe(0)
      await store.dispose?.()
    })
  })

  describe('crash', () => {
    it('should keep the settled usage of a process killed mid-run and return its leases when they lapse', async () => {
      const limitTokens = 1_000_000
      const leaseMs = 60_000
      const worker = startWorker('crash', { mode: 'crash', limitTokens, count: 8, held: 5, leaseMs })
      await worker.next('held')
      for (let i = 0; i < 100; i++) await worker.next('settled')
      worker.child.kill('SIGKILL')
      await worker.exited
      const acknowledged = worker.messages.filter((message) => message.type === 'settled').length

      const store = redisStore({ url: server.url, prefix: 'crash' })
      const counters = [globalCounter(limitTokens)]
      const [afterCrash] = await store.read({ now: Date.now(), counters })
      expect(afterCrash!.used.tokens).toBeGreaterThanOrEqual(acknowledged * 15)
      expect(afterCrash!.used.tokens).toBe(afterCrash!.used.requests * 15)
      expect(afterCrash!.reserved.requests).toBeGreaterThanOrEqual(5)
      expect(afterCrash!.reserved.tokens).toBe(afterCrash!.reserved.requests * 20)

      const [lapsed] = await store.read({ now: Date.now() + leaseMs + 1, counters })
      expect(lapsed!.reserved.tokens).toBe(0)
      expect(lapsed!.used).toEqual(afterCrash!.used)
      await store.dispose?.()
    })
  })

  describe('outage', () => {
    it('should count a settle once when it is retried after a timeout and the first attempt lands', async () => {
      const budget = createBudget({
        limits: [{ scope: 'thread', tokens: 1000 }],
        store: redisStore({ url: server.url, prefix: 'retry', timeoutMs: 300 }),
      })
      const reservation = await budget.reserve({ thread: 't' }, { inputTokens: 10, maxOutputTokens: 10 })
      server.pause()
      try {
        const error = await reservation
          .settle({ inputTokens: 10, outputTokens: 5 })
          .catch((caught: unknown) => caught)
        expect(StoreUnavailableError.isInstance(error)).toBe(true)
        expect(reservation.state).toBe('open')
      } finally {
        server.resume()
      }
      await reservation.settle({ inputTokens: 10, outputTokens: 5 })
      await reservation.release()
      const [status] = await budget.status({ thread: 't' })
      expect(status).toMatchObject({ used: 15, reserved: 0 })
      await budget.dispose()
    })

    it('should fail closed, or open with an event, while Redis is down and recover when it returns', async () => {
      const events: StoreUnavailableEvent[] = []
      const limits = [{ scope: 'thread', tokens: 1000 }]
      const closed = createBudget({
        limits,
        store: redisStore({ url: server.url, prefix: 'outage', timeoutMs: 500 }),
      })
      const open = createBudget({
        limits,
        store: redisStore({
          url: server.url,
          prefix: 'outage',
          timeoutMs: 500,
          failOpen: true,
          onUnavailable: (event) => events.push(event),
        }),
      })
      const call = async (budget: typeof closed, thread = 't') => {
        const reservation = await budget.reserve({ thread }, { inputTokens: 10, maxOutputTokens: 10 })
        await reservation.settle({ inputTokens: 10, outputTokens: 5 })
      }
      await call(closed)
      await call(open)
      expect(events).toEqual([])

      await server.stop()
      const error = await call(closed).catch((caught: unknown) => caught)
      expect(StoreUnavailableError.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ store: 'redis', operation: 'reserve' })
      await call(open)
      expect(events.map((event) => [event.operation, event.failedOpen])).toEqual([
        ['reserve', true],
        ['commit', true],
      ])
      expect(StoreUnavailableError.isInstance(events[0]!.error)).toBe(true)

      await server.start()
      let status: Awaited<ReturnType<typeof closed.status>> | undefined
      for (let attempt = 0; status === undefined; attempt++) {
        try {
          status = await closed.status({ thread: 't' })
        } catch (caught) {
          if (!StoreUnavailableError.isInstance(caught) || attempt >= 100) throw caught
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      }
      // Both calls settled before the outage survived the restart (append-only file). The fail-open
      // call's settle was queued by its client and lands once that client is back, or is lost: never more.
      expect(status[0]!.used).toBeGreaterThanOrEqual(30)
      expect(status[0]!.used).toBeLessThanOrEqual(45)
      await call(closed, 't2')
      const [recovered] = await closed.status({ thread: 't2' })
      expect(recovered).toMatchObject({ used: 15, reserved: 0 })
      await expect(
        closed.reserve({ thread: 't2' }, { inputTokens: 10, maxOutputTokens: 2000 }),
      ).rejects.toSatisfy(BudgetExceededError.isInstance)
      // The fail-open store recovers too: a call without a new event.
      for (let attempt = 0; ; attempt++) {
        const before = events.length
        await call(open, 't3')
        if (events.length === before) break
        if (attempt >= 100) throw new Error('the fail-open store did not recover')
      }
      const [openRecovered] = await closed.status({ thread: 't3' })
      expect(openRecovered!.used).toBeGreaterThanOrEqual(15)
      await closed.dispose()
      await open.dispose()
    })
  })
})
