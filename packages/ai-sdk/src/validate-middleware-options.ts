import { BudgetValidationError } from '@tokenwarden/core'
import type { BudgetMiddlewareOptions } from './budget-middleware.ts'

/**
 * Throws `BudgetValidationError` naming the first bad field of the middleware's options.
 *
 * @example
 * validateMiddlewareOptions({ budget, onExceeded: 'finish' })
 */
export function validateMiddlewareOptions(options: BudgetMiddlewareOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new BudgetValidationError({ field: 'options', value: options, reason: 'expected { budget, … }' })
  }
  const { budget, context, modelId, defaultMaxOutputTokens, clamp, onExceeded, exceededText, stallMs } =
    options
  if (budget === null || typeof budget !== 'object' || typeof budget.reserve !== 'function') {
    throw new BudgetValidationError({
      field: 'budget',
      value: budget,
      reason: 'expected a budget from createBudget()',
    })
  }
  if (
    context !== undefined &&
    typeof context !== 'function' &&
    (context === null || typeof context !== 'object')
  ) {
    throw new BudgetValidationError({
      field: 'context',
      value: context,
      reason: 'expected an object or a function',
    })
  }
  if (modelId !== undefined && (typeof modelId !== 'string' || modelId.length === 0)) {
    throw new BudgetValidationError({
      field: 'modelId',
      value: modelId,
      reason: 'expected a non-empty string',
    })
  }
  if (
    defaultMaxOutputTokens !== undefined &&
    (!Number.isInteger(defaultMaxOutputTokens) || defaultMaxOutputTokens < 1)
  ) {
    throw new BudgetValidationError({
      field: 'defaultMaxOutputTokens',
      value: defaultMaxOutputTokens,
      reason: 'expected a whole number ≥ 1',
    })
  }
  if (
    stallMs !== undefined &&
    !(typeof stallMs === 'number' && stallMs > 0 && stallMs < Number.POSITIVE_INFINITY)
  ) {
    throw new BudgetValidationError({
      field: 'stallMs',
      value: stallMs,
      reason: 'expected a duration > 0 ms',
    })
  }
  if (clamp !== undefined && typeof clamp !== 'boolean' && (clamp === null || typeof clamp !== 'object')) {
    throw new BudgetValidationError({
      field: 'clamp',
      value: clamp,
      reason: 'expected a boolean or { minOutputTokens }',
    })
  }
  if (onExceeded !== undefined && onExceeded !== 'throw' && onExceeded !== 'finish') {
    throw new BudgetValidationError({
      field: 'onExceeded',
      value: onExceeded,
      reason: "expected 'throw' or 'finish'",
    })
  }
  if (exceededText !== undefined && typeof exceededText !== 'function') {
    throw new BudgetValidationError({
      field: 'exceededText',
      value: exceededText,
      reason: 'expected a function',
    })
  }
}
