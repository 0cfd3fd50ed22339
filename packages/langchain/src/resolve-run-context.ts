import { type BudgetContext, BudgetValidationError } from '@tokenwarden/core'

/** Where a run's own scopes go: `metadata: { tokenwarden: { user: 'u-42' } }` on any LangChain call. */
export const metadataKey = 'tokenwarden'

/**
 * The budget context of one LangChain run: the adapter's `context`, then the LangGraph thread id as
 * `thread`, then the run's `metadata.tokenwarden` scopes, each overriding the previous. Without a thread
 * id or run scopes it is `base` itself (no copy per call).
 *
 * @example
 * resolveRunContext({ agent: 'a' }, 't-1', { user: 'u-1' }) // { agent: 'a', thread: 't-1', user: 'u-1' }
 */
export function resolveRunContext(
  base: BudgetContext,
  threadId: unknown,
  overrides: unknown,
  field = `metadata.${metadataKey}`,
): BudgetContext {
  const thread =
    typeof threadId === 'number' ? String(threadId) : typeof threadId === 'string' ? threadId : ''
  if (thread === '' && (overrides === undefined || overrides === null)) return base
  const context: BudgetContext = { ...base }
  if (thread !== '') context.thread = thread
  if (overrides === undefined || overrides === null) return context
  if (typeof overrides !== 'object' || Array.isArray(overrides)) {
    throw new BudgetValidationError({
      field,
      value: overrides,
      reason: 'expected an object of scope names to ids, such as { agent: "researcher" }',
    })
  }
  for (const [scope, value] of Object.entries(overrides)) {
    if (value === undefined) continue
    if (typeof value !== 'string') {
      throw new BudgetValidationError({ field: `${field}.${scope}`, value, reason: 'expected a string id' })
    }
    context[scope] = value
  }
  return context
}
