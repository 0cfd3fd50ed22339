import type { LimitUnit } from '../limits/limit-unit.ts'

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/**
 * Formats an amount of a unit for people and models: `82,000`, `$4.10`.
 *
 * @example
 * formatAmount(4.1, 'costUsd') // '$4.10'
 */
export function formatAmount(value: number, unit: LimitUnit): string {
  if (unit === 'costUsd') return `$${value < 0.01 && value > 0 ? value.toFixed(4) : value.toFixed(2)}`
  return integer.format(value)
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
