import type { BudgetContext } from '@tokenwarden/core'
import { mergeCallContext } from '@tokenwarden/core/adapter'

/** Where a run's own scopes go: `metadata: { tokenwarden: { user: 'u-42' } }` on any LangChain call. */
export const metadataKey = 'tokenwarden'

/**
 * The budget context of one LangChain run: the adapter's `context`, then the LangGraph thread id as
 * `thread`, then the run's `metadata.tokenwarden` scopes (the core's `mergeCallContext`), each overriding
 * the previous. Without a thread id or run scopes it is `base` itself (no copy per call).
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
  const thread = typeof threadId === 'number' ? String(threadId) : threadId
  const context = typeof thread === 'string' && thread !== '' ? { ...base, thread } : base
  return mergeCallContext(context, overrides, field)
}
