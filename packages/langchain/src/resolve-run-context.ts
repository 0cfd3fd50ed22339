import { type BudgetContext, BudgetValidationError } from '@tokenwarden/core'

/**
 * The budget context of one LangChain run: the adapter's static `context`, then the LangGraph thread id
 * as `thread`, then the run's own `tokenwarden` object (from `metadata.tokenwarden` or the agent's
 * runtime context), each overriding the previous.
 *
 * @example
 * resolveRunContext({ base: { agent: 'a' }, threadId: 't-1', overrides: { user: 'u-1' }, field: 'metadata.tokenwarden' })
 * // { agent: 'a', thread: 't-1', user: 'u-1' }
 */
export function resolveRunContext({
  base,
  threadId,
  overrides,
  field,
}: {
  base: BudgetContext | undefined
  threadId: unknown
  overrides: unknown
  field: string
}): BudgetContext {
  const context: BudgetContext = { ...base }
  if (typeof threadId === 'string' && threadId.length > 0) context.thread = threadId
  else if (typeof threadId === 'number') context.thread = String(threadId)
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
