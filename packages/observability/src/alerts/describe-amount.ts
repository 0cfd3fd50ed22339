import { formatAmount, type LimitUnit, unitLabel } from '@tokenwarden/core'

/**
 * An amount with its unit, for alert messages: `4,600 tokens`, `$1.85`.
 *
 * @example
 * describeAmount(4600, 'tokens') // '4,600 tokens'
 */
export function describeAmount(value: number, unit: LimitUnit): string {
  return unit === 'costUsd' ? formatAmount(value, unit) : `${formatAmount(value, unit)} ${unitLabel(unit)}`
}
