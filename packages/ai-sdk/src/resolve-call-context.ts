import type { LanguageModelV4CallOptions } from '@ai-sdk/provider'
import { type BudgetContext, BudgetValidationError } from '@tokenwarden/core'

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
  const merged: BudgetContext = { ...checkContext(base ?? {}, 'context') }
  const perCall = params.providerOptions?.[providerOptionsKey]
  if (perCall !== undefined) {
    Object.assign(merged, checkContext(perCall, `providerOptions.${providerOptionsKey}`))
  }
  return merged
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
    checked ??= checkContext(context ?? {}, 'context')
    const perCall = params.providerOptions?.[providerOptionsKey]
    if (perCall === undefined) return checked
    return { ...checked, ...checkContext(perCall, `providerOptions.${providerOptionsKey}`) }
  }
}

function checkContext(value: unknown, field: string): BudgetContext {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BudgetValidationError({
      field,
      value,
      reason: 'expected an object of scope ids such as { thread }',
    })
  }
  const context: BudgetContext = {}
  for (const scope in value) {
    if (!Object.hasOwn(value, scope)) continue
    const id = (value as Record<string, unknown>)[scope]
    if (id === undefined) continue
    if (typeof id !== 'string' || id.length === 0) {
      throw new BudgetValidationError({
        field: `${field}.${scope}`,
        value: id,
        reason: 'expected a non-empty string',
      })
    }
    context[scope] = id
  }
  return context
}
