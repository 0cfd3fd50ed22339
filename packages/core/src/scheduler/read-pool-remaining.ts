import type { Budget } from '../budget/budget.ts'

/**
 * The tokens of a scheduler's pool neither granted to a window nor used.
 *
 * @example
 * const left = await readPoolRemaining(scheduler.pool)
 */
export async function readPoolRemaining(pool: Budget): Promise<number> {
  const [status] = await pool.status({})
  return status!.remaining
}
