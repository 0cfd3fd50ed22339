import { Priority } from './priority.ts'

/**
 * The tokens a grant of `priority` may take from what the pool has left: all of them for CRITICAL, the
 * rest keep the critical reserve untouched.
 *
 * @example
 * usableTokens(5000, 'HIGH', 4000) // 1000
 * usableTokens(5000, 'CRITICAL', 4000) // 5000
 */
export function usableTokens(
  poolRemaining: number,
  priority: Priority,
  criticalReserveTokens: number,
): number {
  return priority === Priority.CRITICAL ? poolRemaining : Math.max(0, poolRemaining - criticalReserveTokens)
}
