import type { Budget } from '../budget/budget.ts'
import type { BudgetEvents } from '../events/budget-events.ts'

/**
 * What an adapter calls when it compressed a request or downgraded a model: emits the budget's
 * `compressed`/`downgraded` event (for alerts, metrics, logs) and calls the adapter's own callback.
 *
 * @example
 * reportPolicyEvent(budget, 'downgraded', { context, from: 'gpt-4o', to: 'gpt-4o-mini', usage, atUsage: 0.9 }, onDowngraded)
 */
export function reportPolicyEvent<E extends 'compressed' | 'downgraded'>(
  budget: Budget,
  event: E,
  payload: BudgetEvents[E],
  callback: ((payload: BudgetEvents[E]) => void) | undefined,
): void {
  budget.notify(event, payload)
  callback?.(payload)
}
