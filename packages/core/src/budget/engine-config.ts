import type { BudgetMode } from '../events/budget-events.ts'
import type { LimitTable } from '../limits/compile-limits.ts'
import type { Threshold } from '../limits/threshold.ts'
import type { PeriodSpec } from '../periods/period.ts'
import type { CalendarOptions } from '../periods/period-window.ts'
import type { PriceSource } from '../prices/price-source.ts'
import type { BudgetStore } from '../stores/budget-store.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import type { Budget } from './budget.ts'

/**
 * Validated options of a budget (what `createBudget` gives the engine; child budgets inherit them).
 *
 * @example
 * const engine = new BudgetEngine(config)
 */
export interface EngineConfig {
  mode: BudgetMode
  unknownPrice: 'error' | 'warn' | 'ignore'
  table: LimitTable
  /** Every scope the budget knows (built-in and declared); contexts may use no other key. */
  scopes: ReadonlySet<string>
  /** The default thresholds of limits (child budgets inherit them). */
  thresholds: Threshold[]
  calendar: CalendarOptions
  leaseMs: number
  defaultMaxOutputTokens: number
  track: readonly string[]
  /** The period of the tracking counters. */
  trackPeriod: PeriodSpec
  /**
   * The track period reports read; `undefined` when the budget was given neither limits nor a
   * `trackPeriod` (e.g. a reader of a store others write): reports read the latest tracked period.
   */
  reportTrackPeriod: PeriodSpec | undefined
  prices: PriceSource | undefined
  now: () => number
  /** `now` is the system clock (`Date.now` as the module found it), which needs no check. */
  systemClock?: boolean
  warningTemplate: (warning: Omit<BudgetWarning, 'message' | 'id'>) => string
  store: BudgetStore
  estimator: Budget['estimator']
}
