import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CounterCharge, createBudget, encodeCounterKey } from '@tokenwarden/core'
import type { FleetWorkerConfig } from '@tokenwarden/core/testing'
import { type ForkedWorker, forkWorker } from '@tokenwarden/core/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore } from './sqlite-store.ts'

const directory = mkdtempSync(join(tmpdir(), 'tokenwarden-sqlite-fleet-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))
const workerScript = new URL('./testing/sqlite-fleet-worker.ts', import.meta.url)
const startWorker = (path: string, config: FleetWorkerConfig): ForkedWorker =>
  forkWorker(workerScript, [path, JSON.stringify(config)])
/** The counter of `{ scope: 'global', tokens }` (no period), as the workers' budget names it. */
const globalCounter = (tokens: number): CounterCharge => ({
  key: encodeCounterKey({ name: 'global/none', scope: 'global', scopeId: 'global', periodStart: 0 }),
  caps: { tokens },
  expiresAt: null,
})

describe('sqliteStore', () => {
  describe('multi-process', () => {
    it('should grant exactly what the budget affords to 4 processes × 250 concurrent reservations', async () => {
      const path = join(directory, 'contend.db')
      const limitTokens = 10_000 // affords 500 reservations of 20 tokens
      const workers = Array.from({ length: 4 }, () =>
        startWorker(path, { mode: 'contend', limitTokens, count: 250, leaseMs: 600_000 }),
      )
      const reserved = await Promise.all(workers.map((worker) => worker.next('reserved')))
      expect(reserved.reduce((sum, message) => sum + message.granted, 0)).toBe(500)
      expect(reserved.reduce((sum, message) => sum + message.refused, 0)).toBe(500)
      for (const worker of workers) worker.child.send('settle')
      await Promise.all(workers.map((worker) => worker.next('done')))
      expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0, 0, 0])

      const store = sqliteStore({ path })
      const [state] = await store.read({ now: Date.now(), counters: [globalCounter(limitTokens)] })
      expect(state!.used.tokens).toBe(500 * 15)
      expect(state!.used.tokens).toBeLessThanOrEqual(limitTokens)
      expect(state!.used.requests).toBe(500)
      expect(state!.reserved.tokens).toBe(0)
      expect(state!.reserved.requests).toBe(0)
      await store.dispose?.()
    })
  })

  describe('crash', () => {
    it('should keep every settled call of a process killed mid-run and return its leases when they lapse', async () => {
      const path = join(directory, 'crash.db')
      const limitTokens = 1_000_000
      const leaseMs = 60_000
      const worker = startWorker(path, { mode: 'crash', limitTokens, count: 8, held: 5, leaseMs })
      await worker.next('held')
      for (let i = 0; i < 100; i++) await worker.next('settled')
      worker.child.kill('SIGKILL')
      await worker.exited
      const acknowledged = worker.messages.filter((message) => message.type === 'settled').length

      const store = sqliteStore({ path })
      const counters = [globalCounter(limitTokens)]
      const [afterCrash] = await store.read({ now: Date.now(), counters })
      // Nothing acknowledged is lost, and no call is half-written (tokens and requests move together).
      expect(afterCrash!.used.tokens).toBeGreaterThanOrEqual(acknowledged * 15)
      expect(afterCrash!.used.tokens).toBe(afterCrash!.used.requests * 15)
      // The 5 held reservations (and any in flight) still hold budget until their lease lapses.
      expect(afterCrash!.reserved.requests).toBeGreaterThanOrEqual(5)
      expect(afterCrash!.reserved.tokens).toBe(afterCrash!.reserved.requests * 20)

      const later = Date.now() + leaseMs + 1
      const [lapsed] = await store.read({ now: later, counters })
      expect(lapsed!.reserved.tokens).toBe(0)
      expect(lapsed!.used).toEqual(afterCrash!.used)

      const budget = createBudget({
        limits: [{ scope: 'global', tokens: limitTokens }],
        store,
        track: [],
        now: () => later,
      })
      const affordable = await budget.affordableOutputTokens({}, { inputTokens: 0 })
      expect(affordable).toBe(limitTokens - afterCrash!.used.tokens)
      await budget.dispose()
    })
  })
})
