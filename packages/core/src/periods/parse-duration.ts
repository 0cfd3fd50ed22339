import { BudgetValidationError } from '../errors/budget-validation-error.ts'

const units: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/**
 * A duration: whole milliseconds, or a string such as `'90s'`, `'5m'`, `'1h'`, `'7d'`, `'2w'`.
 *
 * @example
 * const window: Duration = '5m'
 */
export type Duration = number | string

/**
 * Parses a {@link Duration} into milliseconds; throws a `BudgetValidationError` naming `field`.
 *
 * @example
 * parseDuration('5m', 'rules[0].window') // 300000
 */
export function parseDuration(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new BudgetValidationError({ field, value, reason: 'expected a whole number of milliseconds > 0' })
    }
    return value
  }
  const match = typeof value === 'string' ? /^(\d+)\s*(ms|s|m|h|d|w)$/.exec(value.trim()) : null
  if (!match || Number(match[1]) <= 0) {
    throw new BudgetValidationError({
      field,
      value,
      reason: "expected a duration such as '30s', '5m', '1h' or '7d'",
    })
  }
  return Number(match[1]) * units[match[2]!]!
}
