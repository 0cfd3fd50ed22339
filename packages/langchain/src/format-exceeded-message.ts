import { type BudgetExceededError, describePeriod, formatAmount, unitLabel } from '@tokenwarden/core'

/**
 * The default text of the AI message that ends an agent run when the budget cannot afford the next
 * model call. Contains no prompt text.
 *
 * @example
 * formatExceededMessage(error)
 * // "I have to stop here: this conversation's budget cannot cover the next step (120 of 10,000 tokens left, the step needs about 900). …"
 */
export function formatExceededMessage(error: BudgetExceededError): string {
  const amount = (value: number) =>
    error.unit === 'costUsd' ? formatAmount(value, 'costUsd') : formatAmount(value, error.unit)
  const unit = error.unit === 'costUsd' ? '' : ` ${unitLabel(error.unit)}`
  const period = error.period === 'none' ? '' : ` ${describePeriod(error.period)}`
  // A refusal while clamping reports what the output could not get, which may be 0.
  const needs = error.requested > error.remaining ? `, the step needs about ${amount(error.requested)}` : ''
  const resets = error.resetsAt === null ? '' : ` It resets at ${new Date(error.resetsAt).toISOString()}.`
  return (
    `I have to stop here: ${owner(error)} budget${period} cannot cover the next step ` +
    `(${amount(error.remaining)} of ${amount(error.limit)}${unit} left${needs}).` +
    `${resets} Here is where I got to; ask again with a larger budget to continue.`
  )
}

function owner({ scope, scopeId }: BudgetExceededError): string {
  switch (scope) {
    case 'thread':
      return "this conversation's"
    case 'global':
      return 'the shared'
    default:
      return `the ${scope} "${scopeId}"`
  }
}
