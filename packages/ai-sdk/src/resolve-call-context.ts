import type { LanguageModelV4CallOptions } from '@ai-sdk/provider'
import type { BudgetContext } from '@tokenwarden/core'
import { mergeCallContext } from '@tokenwarden/core/adapter'

/** The key of a call's `providerOptions` that carries its budget context, e.g. `{ tokenwarden: { thread: 't-1' } }`. */
export const providerOptionsKey = 'tokenwarden'

/** A static context, or one computed from each call's params (may be async). */
export type CallContext =
  | BudgetContext
  | ((params: LanguageModelV4CallOptions) => BudgetContext | PromiseLike<BudgetContext>)

/**
 * The budget context of one call: the static context, then the function's result, then the call's
 * `providerOptions.tokenwarden`, each overriding the keys before it. Scope values must be strings.
 *
 * @example
 * await resolveCallContext({ agent: 'researcher' }, { prompt, providerOptions: { tokenwarden: { thread: 't-1' } } })
 * // → { agent: 'researcher', thread: 't-1' }
 */
export async function resolveCallContext(
  context: CallContext | undefined,
  params: LanguageModelV4CallOptions,
): Promise<BudgetContext> {
  const base = typeof context === 'function' ? await context(params) : context
  return mergeCallContext(checkContext(base), params.providerOptions?.[providerOptionsKey], perCallField)
}

/**
 * The per-call form of {@link resolveCallContext} that the middleware uses: a static context is checked
 * once (on the first call, so a bad one still fails that call) and the same object is returned for every
 * call without `providerOptions.tokenwarden`; a function context resolves as in `resolveCallContext`.
 *
 * @example
 * const contextOf = callContextResolver({ agent: 'researcher' })
 * contextOf(params) // { agent: 'researcher' }, the same object on every call
 */
export function callContextResolver(
  context: CallContext | undefined,
): (params: LanguageModelV4CallOptions) => BudgetContext | Promise<BudgetContext> {
  if (typeof context === 'function') return (params) => resolveCallContext(context, params)
  let checked: BudgetContext | undefined
  return (params) => {
    checked ??= checkContext(context)
    return mergeCallContext(checked, params.providerOptions?.[providerOptionsKey], perCallField)
  }
}

const perCallField = `providerOptions.${providerOptionsKey}`

/** The adapter's context, checked (scope ids are non-empty strings) into a copy. */
function checkContext(context: BudgetContext | undefined): BudgetContext {
  return mergeCallContext({}, context ?? {}, 'context')
}
