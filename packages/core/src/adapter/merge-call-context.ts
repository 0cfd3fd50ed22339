import type { BudgetContext } from '../budget/budget-context.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'

/**
 * The context of one call: `base` with the call's own scope ids (`perCall`, e.g. what the caller put in
 * the framework's per-call options) over it. `base` itself when the call adds none (no copy per call).
 * Throws `BudgetValidationError` naming `field` (or `field.scope`) unless `perCall` is an object of
 * non-empty string ids.
 *
 * @example
 * import { mergeCallContext } from '@tokenwarden/core/adapter'
 * mergeCallContext({ agent: 'a' }, { thread: 't-1' }, 'providerOptions.tokenwarden') // { agent: 'a', thread: 't-1' }
 */
export function mergeCallContext(base: BudgetContext, perCall: unknown, field: string): BudgetContext {
  if (perCall === undefined || perCall === null) return base
  if (typeof perCall !== 'object' || Array.isArray(perCall)) {
    throw new BudgetValidationError({
      field,
      value: perCall,
      reason: 'expected an object of scope ids such as { thread: "t-1" }',
    })
  }
  const context: BudgetContext = { ...base }
  for (const scope in perCall) {
    if (!Object.hasOwn(perCall, scope)) continue
    const id = (perCall as Record<string, unknown>)[scope]
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
