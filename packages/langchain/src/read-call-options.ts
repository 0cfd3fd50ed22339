import { type Budget, BudgetValidationError } from '@tokenwarden/core'

const maxTokenKeys = [
  'max_tokens',
  'max_completion_tokens',
  'max_output_tokens',
  'maxTokens',
  'maxOutputTokens',
  'num_predict',
] as const

/**
 * The model name of a call from its invocation params (`model`, `model_name`, `modelName`) or the
 * LangSmith metadata (`ls_model_name`); `undefined` when none is known.
 *
 * @example
 * callModelName({ model: 'gpt-4o', max_tokens: 100 }, {}) // 'gpt-4o'
 */
export function callModelName(
  params: Record<string, unknown> | undefined,
  metadata: Record<string, unknown> | undefined,
): string | undefined {
  return (
    nameOf(params?.model) ??
    nameOf(params?.model_name) ??
    nameOf(params?.modelName) ??
    nameOf(metadata?.ls_model_name)
  )
}

function nameOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

/**
 * The output token maximum a call or model sets (`max_tokens`, `max_completion_tokens`,
 * `max_output_tokens`, `maxTokens`, …), or `undefined` when it sets none.
 *
 * @example
 * readMaxOutputTokens({ model: 'gpt-4o', max_tokens: 256 }) // 256
 */
export function readMaxOutputTokens(params: Record<string, unknown> | undefined): number | undefined {
  if (params === undefined || params === null) return undefined
  for (const key of maxTokenKeys) {
    const value = params[key]
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value
  }
  return undefined
}

/**
 * Throws `BudgetValidationError` naming `field` unless `value` looks like a tokenwarden `Budget`.
 *
 * @example
 * assertBudget(options.budget, 'options.budget')
 */
export function assertBudget(value: unknown, field: string): asserts value is Budget {
  const budget = value as Partial<Budget> | null | undefined
  if (
    budget === null ||
    typeof budget !== 'object' ||
    typeof budget.reserve !== 'function' ||
    typeof budget.takeWarnings !== 'function' ||
    typeof budget.estimator?.count !== 'function'
  ) {
    throw new BudgetValidationError({ field, value, reason: 'expected a budget from createBudget()' })
  }
}

/**
 * Validates an optional positive integer option, throwing `BudgetValidationError` naming `field`.
 *
 * @example
 * assertOptionalTokens(options.maxOutputTokens, 'options.maxOutputTokens')
 */
export function assertOptionalTokens(value: unknown, field: string): asserts value is number | undefined {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new BudgetValidationError({ field, value, reason: 'expected a positive integer' })
  }
}
