import type { LimitStatus } from '../reports/limit-status.ts'

/**
 * How far a context is into its budget: the highest share used (0…1 and above) among its limits, from
 * `budget.status(ctx)`; 0 when no limit applies.
 *
 * @example
 * usageLevel(await budget.status({ thread: 't-1' })) // 0.82 when the thread has used 82% of its tokens
 */
export function usageLevel(statuses: readonly LimitStatus[]): number {
  let highest = 0
  for (const status of statuses) {
    const share = status.limit > 0 ? status.used / status.limit : status.used > 0 ? 1 : 0
    if (share > highest) highest = share
  }
  return highest
}
