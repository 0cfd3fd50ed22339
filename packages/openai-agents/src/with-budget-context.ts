import { AsyncLocalStorage } from 'node:async_hooks'
import type { BudgetContext } from '@tokenwarden/core'

const storage = new AsyncLocalStorage<BudgetContext>()

/**
 * Runs `fn` (an agent run) with extra budget scopes: every budgeted model call made inside it, in
 * handoffs, tools and nested agent runs too, and for as long as a streamed run goes on, is for
 * `context` as well (its keys override the model's own `context`). Nested calls merge, inner keys win.
 *
 * @example
 * const result = await withBudgetContext({ thread: 't-1', user: 'u-42' }, () => run(agent, 'Hi'))
 */
export function withBudgetContext<T>(context: BudgetContext, fn: () => T): T {
  const outer = storage.getStore()
  return storage.run(outer === undefined ? { ...context } : { ...outer, ...context }, fn)
}

/** The scopes of the innermost {@link withBudgetContext}, if any. */
export function currentBudgetContext(): BudgetContext | undefined {
  return storage.getStore()
}
