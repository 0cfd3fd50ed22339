import { type BudgetContext, BudgetValidationError } from '@tokenwarden/core'

/**
 * Checks a budget context: an object whose values are non-empty strings (or `undefined`). Throws
 * `BudgetValidationError` naming the field, e.g. `context.thread`.
 *
 * @example
 * assertContext({ thread: 't-1' }, 'context')
 */
export function assertContext(context: unknown, field: string): asserts context is BudgetContext {
  if (context === null || typeof context !== 'object' || Array.isArray(context)) {
    throw new BudgetValidationError({
      field,
      value: context,
      reason: 'expected an object such as { thread }',
    })
  }
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined) continue
    if (typeof value !== 'string' || value.length === 0) {
      throw new BudgetValidationError({
        field: `${field}.${key}`,
        value,
        reason: 'expected a non-empty string',
      })
    }
  }
}
