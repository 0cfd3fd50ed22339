import type { LimitUnit } from '../limits/limit-unit.ts'

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/**
 * Formats an amount of a unit for people and models: `82,000`, `$4.10`.
 *
 * @example
 * formatAmount(4.1, 'costUsd') // '$4.10'
 * formatAmount(0.0108, 'costUsd') // '$0.0108'
 */
export function formatAmount(value: number, unit: LimitUnit): string {
  if (unit === 'costUsd') return formatUsd(value)
  return integer.format(value)
}

/**
 * An amount with its unit: `82,000 tokens`, `3 requests`, `$4.10`.
 *
 * @example
 * formatQuantity(82_000, 'tokens') // '82,000 tokens'
 */
export function formatQuantity(value: number, unit: LimitUnit): string {
  return unit === 'costUsd' ? formatUsd(value) : `${integer.format(value)} ${unitLabel(unit)}`
}

/** Cents from $1 up; below $1, up to four decimals so small agent budgets stay readable ($0.0108). */
function formatUsd(value: number): string {
  if (value === 0 || Math.abs(value) >= 1) return `$${value.toFixed(2)}`
  if (Math.abs(value) < 0.0001) return value > 0 ? '<$0.0001' : '-<$0.0001'
  return `$${value.toFixed(4).replace(/0{1,2}$/, '')}`
}

/**
 * The unit's name in words.
 *
 * @example
 * unitLabel('outputTokens') // 'output tokens'
 */
export function unitLabel(unit: LimitUnit): string {
  switch (unit) {
    case 'tokens':
      return 'tokens'
    case 'inputTokens':
      return 'input tokens'
    case 'outputTokens':
      return 'output tokens'
    case 'costUsd':
      return 'USD'
    case 'requests':
      return 'requests'
  }
}
