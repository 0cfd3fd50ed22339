import type { LimitUnit } from '../limits/limit-unit.ts'

/**
 * Where one limit stands, in one unit, for one scope value in the current period.
 *
 * @example
 * const [thread] = await budget.status({ thread: 't-1' })
 * console.log(thread.remaining, formatStatus(thread))
 */
export interface LimitStatus {
  limitName: string
  scope: string
  scopeId: string
  unit: LimitUnit
  /** The limit: the configured one plus what grants added this period (`granted`). */
  limit: number
  /** What grants (`budget.grant()`) added to the limit this period; 0 when none. */
  granted: number
  used: number
  reserved: number
  /** `limit - used - reserved`, never below 0. */
  remaining: number
  /** `used / limit` in percent. */
  percentUsed: number
  /** The period's machine-readable label: `none`, `hour`, `day`, `week`, `month` or `rolling:<ms>:<buckets>`. */
  period: string
  /** The period as people read it: `today`, `in the last hour` (see `describePeriod`). */
  periodDescription: string
  periodStart: number
  /** When the period ends (epoch ms), `null` if never. */
  resetsAt: number | null
}
