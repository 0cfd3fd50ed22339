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
 * The model id of a call from its invocation params or model fields (`model`, `model_name`,
 * `modelName`) or the LangSmith metadata (`ls_model_name`); `undefined` when none is known.
 *
 * @example
 * callModelName({ model: 'gpt-4o', max_tokens: 100 }, {}) // 'gpt-4o'
 */
export function callModelName(params: unknown, metadata?: Record<string, unknown>): string | undefined {
  const fields = (params ?? {}) as Record<string, unknown>
  return (
    nameOf(fields.model) ??
    nameOf(fields.model_name) ??
    nameOf(fields.modelName) ??
    nameOf(metadata?.ls_model_name)
  )
}

function nameOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

/**
 * The output token limit a call or model sets (`max_tokens`, `max_completion_tokens`, `maxTokens`, …),
 * or `undefined` when it sets none.
 *
 * @example
 * readMaxOutputTokens({ model: 'gpt-4o', max_tokens: 256 }) // 256
 */
export function readMaxOutputTokens(params: unknown): number | undefined {
  if (params === null || typeof params !== 'object') return undefined
  for (const key of maxTokenKeys) {
    const value = (params as Record<string, unknown>)[key]
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value
  }
  return undefined
}

/**
 * Throws `BudgetValidationError` naming the first bad option shared by the callback handler and the
 * agent middleware (`budget`, `context`, `modelId`, `defaultMaxOutputTokens`, `stallMs`).
 *
 * @example
 * validateOptions({ budget, stallMs: 5_000 })
 */
export function validateOptions(options: unknown): asserts options is { budget: Budget } {
  if (options === null || typeof options !== 'object') invalid('options', options, 'expected { budget, … }')
  const { budget, context, modelId, defaultMaxOutputTokens, stallMs } = options as Record<string, unknown>
  const { reserve, estimator } = (budget ?? {}) as Partial<Budget>
  if (typeof reserve !== 'function' || typeof estimator?.count !== 'function')
    invalid('budget', budget, 'expected a budget from createBudget()')
  if (context !== undefined && (context === null || typeof context !== 'object'))
    invalid('context', context, 'expected an object of scope ids such as { agent: "researcher" }')
  if (modelId !== undefined && (typeof modelId !== 'string' || modelId.length === 0))
    invalid('modelId', modelId, 'expected a non-empty string')
  if (
    defaultMaxOutputTokens !== undefined &&
    !(Number.isInteger(defaultMaxOutputTokens) && (defaultMaxOutputTokens as number) > 0)
  )
    invalid('defaultMaxOutputTokens', defaultMaxOutputTokens, 'expected a whole number ≥ 1')
  if (
    stallMs !== undefined &&
    !(typeof stallMs === 'number' && stallMs > 0 && stallMs < Number.POSITIVE_INFINITY)
  )
    invalid('stallMs', stallMs, 'expected a duration > 0 ms')
}

/**
 * Throws a `BudgetValidationError` for `field`.
 *
 * @example
 * invalid('onExceeded', 'stop', "expected 'throw' or 'finish'")
 */
export function invalid(field: string, value: unknown, reason: string): never {
  throw new BudgetValidationError({ field, value, reason })
}
