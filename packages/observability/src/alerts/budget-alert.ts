import type { BudgetContext, LimitUnit } from '@tokenwarden/core'

/**
 * The fields every alert has.
 *
 * @example
 * const when = new Date(alert.at)
 */
export interface AlertBase {
  /** The rule's name. */
  rule: string
  /** The scope watched (`task`, `global`, `agent`, …) and its value. */
  scope: string
  scopeId: string
  unit: LimitUnit
  /** What was observed (task usage, window rate per minute, projected usage). */
  value: number
  /** What `value` passed. */
  threshold: number
  /** When it fired (epoch ms, the budget's clock: the time of the settle that fired it). */
  at: number
  /** The context (ids only) and model of the call whose settle fired it. */
  context: BudgetContext
  model: string | undefined
  /** A one-line description. */
  message: string
}

/**
 * An alert fired by a rule. Carries ids and numbers only, never prompt text or keys.
 *
 * @example
 * monitor.on('alert', (alert) => console.log(alert.type, alert.message))
 */
export type BudgetAlert =
  | (AlertBase & { type: 'runaway'; expectedTokens: number; factor: number })
  | (AlertBase & {
      type: 'spike'
      /** Usage in the window and the baseline rate, per minute. */
      windowUsage: number
      trailingRatePerMinute: number
      factor: number
    })
  | (AlertBase & {
      type: 'forecast'
      limitName: string
      limit: number
      used: number
      share: number
      period: string
      resetsAt: number
    })
