import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { describePeriod } from './describe-period.ts'
import { parseDuration } from './parse-duration.ts'

/**
 * How often a limit starts over. Calendar periods (`hour`, `day`, `week`, `month`) follow the budget's
 * time zone (UTC by default); `none` never resets; a rolling window counts the last `rolling`
 * milliseconds (or a duration such as `'90m'`, `'24h'`, `'7d'`), measured in `buckets` steps (default 10).
 *
 * @example
 * const limits = [
 *   { scope: 'agent', costUsd: 5, period: 'day' },
 *   { scope: 'user', tokens: 50_000, period: { rolling: '1h' } },
 * ]
 */
export type Period =
  | 'none'
  | 'hour'
  | 'day'
  | 'week'
  | 'month'
  | { rolling: number | string; buckets?: number }

/** A validated period. `label` is stable and goes into counter keys. */
export interface PeriodSpec {
  kind: 'none' | 'hour' | 'day' | 'week' | 'month' | 'rolling'
  label: string
  /** The period as people read it (`'today'`, `'in the last hour'`): see `describePeriod`. */
  description: string
  /** Rolling windows only: the window length and one bucket's length, in ms. */
  rollingMs: number
  bucketMs: number
  buckets: number
}

const calendar = new Set(['none', 'hour', 'day', 'week', 'month'])

/**
 * Validates a {@link Period} and returns its spec; `field` names it in the error.
 *
 * @example
 * parsePeriod({ rolling: '1h' }, 'limits[0].period').bucketMs // 360000
 */
export function parsePeriod(period: unknown, field: string): PeriodSpec {
  if (period === undefined) period = 'none'
  if (typeof period === 'string') {
    if (!calendar.has(period)) {
      throw new BudgetValidationError({
        field,
        value: period,
        reason: "expected 'none', 'hour', 'day', 'week', 'month' or { rolling }",
      })
    }
    return {
      kind: period as PeriodSpec['kind'],
      label: period,
      description: describePeriod(period),
      rollingMs: 0,
      bucketMs: 0,
      buckets: 0,
    }
  }
  if (period === null || typeof period !== 'object' || !('rolling' in period)) {
    throw new BudgetValidationError({
      field,
      value: period,
      reason: "expected 'none', 'hour', 'day', 'week', 'month' or { rolling }",
    })
  }
  const { rolling, buckets = 10 } = period as { rolling: unknown; buckets?: unknown }
  const rollingMs = parseDuration(rolling, `${field}.rolling`)
  if (typeof buckets !== 'number' || !Number.isInteger(buckets) || buckets < 1 || buckets > 1000) {
    throw new BudgetValidationError({
      field: `${field}.buckets`,
      value: buckets,
      reason: 'expected a whole number from 1 to 1000',
    })
  }
  if (rollingMs % buckets !== 0) {
    throw new BudgetValidationError({
      field: `${field}.buckets`,
      value: buckets,
      reason: `the window (${rollingMs} ms) must divide into whole-millisecond buckets`,
    })
  }
  const label = `rolling:${rollingMs}:${buckets}`
  return {
    kind: 'rolling',
    label,
    description: describePeriod(label),
    rollingMs,
    bucketMs: rollingMs / buckets,
    buckets,
  }
}
