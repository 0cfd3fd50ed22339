import type { BudgetContext } from './budget-context.ts'

/**
 * The context's id for `scope`: an own property only, so a scope named `constructor` or `toString`
 * never reads `Object.prototype`.
 *
 * @example
 * scopeIdOf({ thread: 't-1' }, 'thread') // 't-1'
 * scopeIdOf({}, 'constructor') // undefined
 */
export function scopeIdOf(context: BudgetContext, scope: string): string | undefined {
  const value = context[scope]
  return value !== undefined && Object.hasOwn(context, scope) ? value : undefined
}
