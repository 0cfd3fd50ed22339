import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { didYouMean } from '../limits/did-you-mean.ts'
import { assertId, isLastValidId } from '../limits/validate.ts'
import type { BudgetContext } from './budget-context.ts'

/**
 * Throws unless `context` is an object whose own keys are scopes of the budget (not `global`, which
 * takes no id) and whose values are ids or `undefined`. A typo such as `thred` is a
 * `BudgetValidationError` naming `context.thred`, with a hint, rather than a limit that stops applying.
 *
 * @example
 * assertContext({ thred: 't-1' }, parseScopes(undefined)) // throws: invalid context.thred … did you mean "thread"?
 */
export function assertContext(context: BudgetContext, scopes: ReadonlySet<string>): void {
  if (context === null || typeof context !== 'object') {
    throw new BudgetValidationError({
      field: 'context',
      value: context,
      reason: 'expected an object such as { thread }',
    })
  }
  // inherited enumerable keys are checked too (harmless), but only own ones count (see scopeIdOf)
  for (const key in context) {
    const value = context[key]
    if (!scopes.has(key) || key === 'global') unknownKey(key, value, scopes)
    // the field's name is built only for an id that is not one of the last two valid ones
    if (value !== undefined && !isLastValidId(value)) assertId(value, `context.${key}`)
  }
}

function unknownKey(key: string, value: unknown, scopes: ReadonlySet<string>): never {
  throw new BudgetValidationError({
    field: `context.${key}`,
    value,
    reason:
      key === 'global'
        ? 'the global scope takes no id; global limits apply to every call'
        : `"${key}" is no scope of this budget${didYouMean(key, scopes)}; the scopes are ${[...scopes].filter((scope) => scope !== 'global').join(', ')} (declare custom ones with the budget's \`scopes\` option)`,
  })
}
