import { describePeriod } from '../periods/describe-period.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import { formatAmount, formatQuantity, unitLabel } from './format-amount.ts'

/**
 * The fields of a warning its message is written from (everything but `message` and `id`).
 *
 * @example
 * const fields: WarningFields = { ...warning }
 */
export type WarningFields = Omit<BudgetWarning, 'message' | 'id'>

/**
 * The default text a model reads when a threshold is crossed. Override it with
 * `createBudget({ messages: { warning: (w) => '…' } })`.
 *
 * @example
 * formatWarning(warning)
 * // '[Budget warning] This conversation has used 90% of its 100,000-token budget (10,000 tokens left). …'
 */
export function formatWarning(warning: WarningFields): string {
  const amount =
    warning.unit === 'costUsd'
      ? `${formatAmount(warning.limit, 'costUsd')} budget`
      : `${formatAmount(warning.limit, warning.unit)}-${unitLabel(warning.unit).replace(/s$/, '')} budget`
  const left = `${formatQuantity(warning.remaining, warning.unit)} left`
  const period = warning.period === 'none' ? '' : ` ${describePeriod(warning.period)}`
  const advice =
    warning.severity === 'final'
      ? 'Stop starting new work: give your final answer now with what you have.'
      : warning.severity === 'critical'
        ? 'Wrap up: prioritise the essential remaining steps and answer soon.'
        : 'Plan the remaining work to fit the budget.'
  const title = warning.severity === 'info' ? 'Budget notice' : 'Budget warning'
  return `[${title}] ${subject(warning)} has used ${Math.floor(warning.percentUsed)}% of its ${amount}${period} (${left}). ${advice}`
}

function subject({ scope, scopeId }: WarningFields): string {
  switch (scope) {
    case 'thread':
      return 'This conversation'
    case 'global':
      return 'The shared budget'
    case 'agent':
      return `Agent "${scopeId}"`
    case 'model':
      return `Model "${scopeId}"`
    default:
      return `The ${scope} "${scopeId}"`
  }
}
