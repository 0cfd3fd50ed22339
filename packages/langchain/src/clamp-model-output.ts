/**
 * Returns a copy of a LangChain chat model whose output is limited to `maxOutputTokens`, or `undefined`
 * when the model does not support it. Works for models that keep their constructor fields in `fields`
 * and read `maxTokens` from them (`ChatOpenAI` and its subclasses). Pass your own function as
 * `budgetMiddleware({ clampModel })` for other models.
 *
 * @example
 * const clamped = clampModelOutput(new ChatOpenAI({ model: 'gpt-4o' }), 300) // a ChatOpenAI with maxTokens 300
 */
export function clampModelOutput<Model>(model: Model, maxOutputTokens: number): Model | undefined {
  if (!supportsOutputClamp(model)) return undefined
  const { constructor: create, fields } = model as unknown as {
    constructor: new (fields: Record<string, unknown>) => Model
    fields: Record<string, unknown>
  }
  const next: Record<string, unknown> = { ...fields, maxTokens: maxOutputTokens }
  if (fields.maxCompletionTokens !== undefined) next.maxCompletionTokens = maxOutputTokens
  return new create(next)
}

/**
 * True when {@link clampModelOutput} can limit this model's output.
 *
 * @example
 * supportsOutputClamp(new ChatOpenAI({ model: 'gpt-4o' })) // true
 */
export function supportsOutputClamp(model: unknown): boolean {
  if (model === null || typeof model !== 'object' || !('maxTokens' in model)) return false
  const { fields } = model as { fields?: unknown }
  return fields !== null && typeof fields === 'object' && typeof model.constructor === 'function'
}
