import { BudgetValidationError } from '../errors/budget-validation-error.ts'

/** Throws unless `value` is a finite number ≥ 0 (and a safe integer, ≤ 2^53 − 1, when `integer`). */
export function assertAmount(
  value: unknown,
  field: string,
  { integer = false } = {},
): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new BudgetValidationError({ field, value, reason: 'expected a number' })
  }
  if (!Number.isFinite(value))
    throw new BudgetValidationError({ field, value, reason: 'expected a finite number' })
  if (value < 0) throw new BudgetValidationError({ field, value, reason: 'expected a number ≥ 0' })
  if (integer && !Number.isSafeInteger(value)) {
    const reason = Number.isInteger(value)
      ? 'expected a whole number ≤ 2^53 − 1'
      : 'expected a whole number of tokens'
    throw new BudgetValidationError({ field, value, reason })
  }
}

// C0 controls, DEL and lone surrogates (in a `u` regex a well-formed pair is one code point, not Cs)
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const malformed = /[\u0000-\u001f\u007f\p{Cs}]/u
/**
 * Ids that passed `assertId` lately. Calls repeat the same few ids (thread, agent, model): a set lookup
 * costs less than checking the characters again. Bounded (cleared when full); an id's validity depends
 * on nothing else, so every budget shares it. Short ids only.
 */
const recentIds = new Set<string>()
const recentIdsMax = 1024
/** The two ids that passed last (a call checks its model and its context's ids): compared before the set. */
let lastId = ''
let lastButOneId = ''

/**
 * `value` is one of the last two ids that passed `assertId` (which would then pass it at once): lets a
 * caller skip building the field name it would pass.
 *
 * @example
 * if (!isLastValidId(value)) assertId(value, `context.${key}`)
 */
export function isLastValidId(value: unknown): boolean {
  // '' is never valid (both start as '')
  return (value === lastId || value === lastButOneId) && value !== ''
}

/**
 * Throws unless `value` is a non-empty string of well-formed UTF-16 without control characters
 * (U+0000–U+001F, U+007F): two different ids can then never encode to the same counter or conversation.
 */
export function assertId(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string')
    throw new BudgetValidationError({ field, value, reason: 'expected a string' })
  if (value === lastId || value === lastButOneId) {
    if (value.length !== 0) return
  } else if (recentIds.has(value)) {
    lastButOneId = lastId
    lastId = value
    return
  }
  if (value.trim().length === 0)
    throw new BudgetValidationError({ field, value, reason: 'expected a non-empty id' })
  if (malformed.test(value)) {
    throw new BudgetValidationError({
      field,
      value,
      reason: 'expected an id without control characters or unpaired UTF-16 surrogates',
    })
  }
  if (value.length > 256) return
  if (recentIds.size >= recentIdsMax) recentIds.clear()
  recentIds.add(value)
}

/** Throws unless `value` is a plain object. */
export function assertObject(value: unknown, field: string): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BudgetValidationError({ field, value, reason: 'expected an object' })
  }
}
