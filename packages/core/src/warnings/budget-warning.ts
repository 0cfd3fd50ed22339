import type { LimitUnit } from '../limits/limit-unit.ts'
import type { Severity } from '../limits/threshold.ts'

/**
 * A threshold crossing: emitted once per limit, scope value and period when settled usage crosses a
 * threshold, and queued so adapters show it to the model once per conversation.
 *
 * @example
 * budget.on('warning', (warning: BudgetWarning) => console.log(warning.message))
 */
export interface BudgetWarning {
  /** Unique per crossing. */
  id: string
  severity: Severity
  /** The threshold crossed, as a share of the limit (0.9). */
  threshold: number
  /** Used share of the limit in percent (e.g. 91.3); may pass 100. */
  percentUsed: number
  used: number
  remaining: number
  limit: number
  unit: LimitUnit
  scope: string
  scopeId: string
  limitName: string
  period: string
  /** When the period ends (epoch ms), `null` if never. */
  resetsAt: number | null
  /** The text a model reads (from the budget's message template). */
  message: string
}
