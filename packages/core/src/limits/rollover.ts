import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import type { PeriodSpec } from '../periods/period.ts'
import type { LimitUnit } from './limit-unit.ts'
import { assertAmount, assertObject } from './validate.ts'

const calendar = new Set(['hour', 'day', 'week', 'month'])

/**
 * Validates a limit's `rollover` and returns the most each capped unit may carry, or `undefined`.
 *
 * @example
 * parseRollover({ max: 5000 }, [{ unit: 'tokens', cap: 10_000 }], parsePeriod('day', 'p'), 'limits[0].rollover')
 * // { tokens: 5000 }
 */
export function parseRollover(
  value: unknown,
  capList: readonly { unit: LimitUnit; cap: number }[],
  period: PeriodSpec,
  field: string,
): Partial<Record<LimitUnit, number>> | undefined {
  if (value === undefined) return undefined
  assertObject(value, field)
  if (!calendar.has(period.kind)) {
    throw new BudgetValidationError({
      field,
      value,
      reason: "a rollover needs a calendar period: 'hour', 'day', 'week' or 'month'",
    })
  }
  const max = value.max
  const carries: Partial<Record<LimitUnit, number>> = {}
  if (typeof max === 'number') {
    if (capList.length !== 1) {
      throw new BudgetValidationError({
        field: `${field}.max`,
        value: max,
        reason: 'the limit caps several units: give the maximum per unit, e.g. { tokens: 5000 }',
      })
    }
    assertAmount(max, `${field}.max`, { integer: capList[0]!.unit !== 'costUsd' })
    carries[capList[0]!.unit] = max
    return carries
  }
  assertObject(max, `${field}.max`)
  for (const [unit, amount] of Object.entries(max)) {
    if (!capList.some((entry) => entry.unit === unit)) {
      throw new BudgetValidationError({
        field: `${field}.max.${unit}`,
        value: amount,
        reason: 'the limit does not cap this unit',
      })
    }
    assertAmount(amount, `${field}.max.${unit}`, { integer: unit !== 'costUsd' })
    carries[unit as LimitUnit] = amount
  }
  return carries
}
