// A worker process of the stores' multi-process tests (run with `node`, forked with IPC). Never logs prompts.
import type { Reservation } from '../budget/budget.ts'
import { createBudget } from '../budget/create-budget.ts'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import type { BudgetStore } from '../stores/budget-store.ts'

/** What the parent asks a worker to do. */
export interface FleetWorkerConfig {
  /** `contend`: reserve `count` at once, report, settle on the parent's signal. `crash`: hold `held`
   * reservations, then reserve and settle in a loop (`count` in flight) until killed. */
  mode: 'contend' | 'crash'
  limitTokens: number
  count: number
  held?: number
  leaseMs: number
}

/** Messages a worker sends. */
export type FleetWorkerMessage =
  | { type: 'reserved'; granted: number; refused: number }
  | { type: 'held'; count: number }
  | { type: 'settled'; tokens: number }
  | { type: 'done' }
  | { type: 'error'; message: string }

/** Reserves 20 tokens (10 in, 10 out) and settles 15 (10 in, 5 out) per call. */
export async function runFleetWorker(config: FleetWorkerConfig, store: BudgetStore): Promise<void> {
  const send = (message: FleetWorkerMessage) => process.send!(message)
  const budget = createBudget({
    limits: [{ scope: 'global', tokens: config.limitTokens }],
    store,
    track: [],
    leaseMs: config.leaseMs,
  })
  const request = { inputTokens: 10, maxOutputTokens: 10 }
  const usage = { inputTokens: 10, outputTokens: 5 }
  try {
    if (config.mode === 'contend') {
      const results = await Promise.allSettled(
        Array.from({ length: config.count }, () => budget.reserve({}, request)),
      )
      const granted: Reservation[] = []
      let refused = 0
      for (const result of results) {
        if (result.status === 'fulfilled') granted.push(result.value)
        else if (BudgetExceededError.isInstance(result.reason)) refused++
        else throw result.reason
      }
      send({ type: 'reserved', granted: granted.length, refused })
      await new Promise<void>((resolve) => process.once('message', () => resolve()))
      await Promise.all(granted.map((reservation) => reservation.settle(usage)))
      await budget.dispose()
      send({ type: 'done' })
      return
    }
    for (let i = 0; i < (config.held ?? 0); i++) await budget.reserve({}, request)
    send({ type: 'held', count: config.held ?? 0 })
    const loop = async () => {
      for (;;) {
        const reservation = await budget.reserve({}, request)
        await reservation.settle(usage)
        send({ type: 'settled', tokens: 15 })
      }
    }
    await Promise.all(Array.from({ length: config.count }, loop))
  } catch (error) {
    send({
      type: 'error',
      message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    })
    process.exitCode = 1
  }
}
