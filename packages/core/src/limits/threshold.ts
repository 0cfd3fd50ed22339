import { BudgetValidationError } from '../errors/budget-validation-error.ts'

/** How urgent a threshold is. */
export type Severity = 'info' | 'warning' | 'critical' | 'final'

/**
 * A share of a limit (0 < at ≤ 1) at which a {@link BudgetWarning} fires, once per crossing.
 *
 * @example
 * const thresholds: Threshold[] = [{ at: 0.5, severity: 'info' }, { at: 0.9, severity: 'critical' }]
 */
export interface Threshold {
  at: number
  severity: Severity
}

/** The default thresholds: 75 % warning, 90 % critical, 95 % final. */
export const defaultThresholds: readonly Threshold[] = Object.freeze([
  { at: 0.75, severity: 'warning' },
  { at: 0.9, severity: 'critical' },
  { at: 0.95, severity: 'final' },
])

const severities = new Set(['info', 'warning', 'critical', 'final'])

/**
 * Validates thresholds (numbers or `{ at, severity }`) and returns them sorted by `at`.
 *
 * @example
 * parseThresholds([0.5, { at: 0.9, severity: 'critical' }], 'thresholds')
 */
export function parseThresholds(value: unknown, field: string): Threshold[] {
  if (!Array.isArray(value))
    throw new BudgetValidationError({ field, value, reason: 'expected an array of thresholds' })
  const parsed = value.map((item, index): Threshold => {
    const at = typeof item === 'number' ? item : (item as { at?: unknown })?.at
    const severity = typeof item === 'number' ? 'warning' : (item as { severity?: unknown })?.severity
    const itemField = typeof item === 'number' ? `${field}[${index}]` : `${field}[${index}].at`
    if (typeof at !== 'number' || !Number.isFinite(at) || at <= 0 || at > 1) {
      throw new BudgetValidationError({
        field: itemField,
        value: at,
        reason: 'expected a share of the limit in (0, 1]',
      })
    }
    if (typeof severity !== 'string' || !severities.has(severity)) {
      throw new BudgetValidationError({
        field: `${field}[${index}].severity`,
        value: severity,
        reason: "expected 'info', 'warning', 'critical' or 'final'",
      })
    }
    return { at, severity: severity as Severity }
  })
  parsed.sort((a, b) => a.at - b.at)
  for (let i = 1; i < parsed.length; i++) {
    if (parsed[i]!.at === parsed[i - 1]!.at) {
      throw new BudgetValidationError({ field, value, reason: `threshold ${parsed[i]!.at} appears twice` })
    }
  }
  return parsed
}
