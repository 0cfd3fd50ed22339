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
