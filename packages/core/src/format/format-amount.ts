import type { LimitUnit } from '../limits/limit-unit.ts'

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/**
 * Formats an amount of a unit for people and models: `82,000`, `$4.10`.
 *
 * @example
 * formatAmount(4.1, 'costUsd') // '$4.10'
 * formatAmount(0.0108, 'costUsd') // '$0.0108'
 * formatAmount(0.037, 'costUsd') // '$0.0370'
 */
export function formatAmount(value: number, unit: LimitUnit): string {
  if (unit === 'costUsd') return formatUsd(value)
  return integer.format(value)
}

/**
 * An amount with its unit, singular for exactly 1: `82,000 tokens`, `1 request`, `$4.10`.
 *
 * @example
 * formatQuantity(82_000, 'tokens') // '82,000 tokens'
 * formatQuantity(1, 'requests') // '1 request'
 */
export function formatQuantity(value: number, unit: LimitUnit): string {
  if (unit === 'costUsd') return formatUsd(value)
  const label = unitLabel(unit)
  return `${integer.format(value)} ${value === 1 ? label.slice(0, -1) : label}`
}

/**
 * One rule for every USD amount: cents from $1 up and for whole cents ($0.10); otherwise four decimals
 * ($0.0370, $0.0445), so small agent budgets stay readable and amounts side by side match.
 */
function formatUsd(value: number): string {
  if (value === 0 || Math.abs(value) >= 1) return `$${value.toFixed(2)}`
  if (Math.abs(value) < 0.0001) return value > 0 ? '<$0.0001' : '-<$0.0001'
  const cents = value * 100
  if (Math.abs(cents - Math.round(cents)) < 1e-9) return `$${value.toFixed(2)}`
  return `$${value.toFixed(4)}`
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
