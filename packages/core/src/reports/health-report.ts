import type { Tally } from '../usage/tally.ts'
import type { LimitStatus } from './limit-status.ts'

/** Usage of one scope value, for top-spender lists. */
export interface Spender {
  scope: string
  id: string
  usage: Tally
}

/**
 * The state of a whole budget.
 *
 * @example
 * const report = await budget.report()
 * for (const agent of report.top.agent) console.log(agent.id, agent.usage.costUsd)
 */
export interface HealthReport {
  generatedAt: number
  /** Every limit counter in its current period, most used first. */
  limits: LimitStatus[]
  /** Top spenders by tracked scope (agent, user, model by default), by cost then tokens. */
  top: Record<string, Spender[]>
  /** All usage ever recorded (the global tracking counter). */
  totals: Tally
}
