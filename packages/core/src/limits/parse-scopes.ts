import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { builtInScopes } from './built-in-scopes.ts'
import { didYouMean } from './did-you-mean.ts'
import { assertId } from './validate.ts'

/**
 * Validates the budget's `scopes` option (custom scope names: no built-in one, no duplicate) and returns
 * every scope the budget knows: the built-in ones and these.
 *
 * @example
 * parseScopes(['tenant']) // Set { 'global', 'model', 'agent', 'thread', 'user', 'task', 'tenant' }
 */
export function parseScopes(custom: unknown, field = 'scopes'): ReadonlySet<string> {
  const scopes = new Set(builtInScopes)
  if (custom === undefined) return scopes
  if (!Array.isArray(custom)) {
    throw new BudgetValidationError({
      field,
      value: custom,
      reason: "expected an array of custom scope names such as ['tenant']",
    })
  }
  for (const [index, scope] of custom.entries()) {
    assertId(scope, `${field}[${index}]`)
    if (scopes.has(scope)) {
      throw new BudgetValidationError({
        field: `${field}[${index}]`,
        value: scope,
        reason: builtInScopes.includes(scope)
          ? `"${scope}" is a built-in scope; list only custom ones`
          : `"${scope}" is listed twice`,
      })
    }
    scopes.add(scope)
  }
  return scopes
}

/**
 * Throws unless `scope` is one of the budget's scopes, with a hint when it looks like a typo.
 *
 * @example
 * assertScope('threads', parseScopes(undefined), 'limits[0].scope') // throws: did you mean "thread"?
 */
export function assertScope(
  scope: unknown,
  scopes: ReadonlySet<string>,
  field: string,
): asserts scope is string {
  assertId(scope, field)
  if (scopes.has(scope)) return
  throw new BudgetValidationError({
    field,
    value: scope,
    reason: `"${scope}" is no scope of this budget${didYouMean(scope, scopes)}; the scopes are ${[...scopes].join(', ')} (declare custom ones with the budget's \`scopes\` option)`,
  })
}
