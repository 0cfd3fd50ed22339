import type { BudgetOptions } from '../budget/budget.ts'

/**
 * Options of {@link ContextScheduler}.
 *
 * @example
 * const options: ContextSchedulerOptions = { totalTokens: 100_000, warnThreshold: 0.75 }
 * const scheduler = new ContextScheduler(options)
 */
export interface ContextSchedulerOptions {
  /** The shared pool, in tokens. */
  totalTokens: number
  /** Share of a window for lookup (context, input); the rest is for reasoning. @default 0.9 */
  lookupRatio?: number
  /** Share of a window at which SIGWARN fires. @default 0.8 */
  warnThreshold?: number
  /** A window's size when `allocate` gives no `maxTokens`. @default 8000 */
  defaultWindowTokens?: number
  /** Tokens only CRITICAL allocations may take. @default 4000 (one CRITICAL minimum grant) */
  criticalReserveTokens?: number
  /** Options of the pool's budget (store, prices, clock, lease…); its limits are the pool. */
  budget?: Omit<BudgetOptions, 'limits' | 'thresholds'>
}
