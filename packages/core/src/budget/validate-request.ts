import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { assertAmount, assertId } from '../limits/validate.ts'
import type { TokenUsage } from '../usage/token-usage.ts'
import type { ReserveRequest } from './budget.ts'

/** A reserve (or affordability) request as read once: only this copy is used afterwards. */
export interface RequestSnapshot {
  model: string | undefined
  inputTokens: number
  maxOutputTokens: number | undefined
  /** The output is a default (the caller set no limit), for the refusal's message. */
  outputFromDefault: boolean
  clamp: { minOutputTokens: number } | undefined
  leaseMs: number | undefined
}

/**
 * Reads a reserve (or affordability) request once, field by field, and validates the copy (a getter
 * that changes between reads cannot turn the reservation into NaN); `clamp` is normalised. With
 * `into`, the copy is written there (a caller that reads it at once and keeps nothing makes none).
 */
export function validateRequest(
  request: {
    model?: string
    inputTokens: number
    clamp?: ReserveRequest['clamp']
    maxOutputTokens?: number
    outputFromDefault?: boolean
    leaseMs?: number
  },
  into?: RequestSnapshot,
): RequestSnapshot {
  if (request === null || typeof request !== 'object') {
    throw new BudgetValidationError({
      field: 'request',
      value: request,
      reason: 'expected { model, inputTokens, maxOutputTokens }',
    })
  }
  const {
    model,
    inputTokens,
    maxOutputTokens,
    outputFromDefault: fromDefault,
    clamp: clampOption,
    leaseMs,
  } = request
  if (model !== undefined) assertId(model, 'request.model')
  assertCount(inputTokens, 'request.inputTokens')
  if (maxOutputTokens !== undefined) {
    assertCount(maxOutputTokens, 'request.maxOutputTokens')
    assertSafeSum(inputTokens, maxOutputTokens, 'request.maxOutputTokens', 'request.inputTokens')
  }
  if (leaseMs !== undefined) assertPositive(leaseMs, 'request.leaseMs')
  let clamp: { minOutputTokens: number } | undefined
  if (clampOption === true) clamp = { minOutputTokens: 1 }
  else if (clampOption !== undefined && clampOption !== false) {
    if (clampOption === null || typeof clampOption !== 'object') {
      throw new BudgetValidationError({
        field: 'request.clamp',
        value: clampOption,
        reason: 'expected a boolean or { minOutputTokens }',
      })
    }
    const min = clampOption.minOutputTokens ?? 1
    assertAmount(min, 'request.clamp.minOutputTokens', { integer: true })
    clamp = { minOutputTokens: min }
  }
  const outputFromDefault = maxOutputTokens === undefined || fromDefault === true
  if (into === undefined) return { model, inputTokens, maxOutputTokens, outputFromDefault, clamp, leaseMs }
  into.model = model
  into.inputTokens = inputTokens
  into.maxOutputTokens = maxOutputTokens
  into.outputFromDefault = outputFromDefault
  into.clamp = clamp
  into.leaseMs = leaseMs
  return into
}

/** A usage as read once: only this copy is validated, priced and counted. */
export interface UsageSnapshot {
  inputTokens: number
  outputTokens: number
  cachedInputTokens: number | undefined
  cacheWriteInputTokens: number | undefined
  reasoningTokens: number | undefined
  estimated: boolean
  rejectedFields: readonly string[] | undefined
}

/**
 * Reads a usage once, field by field, and validates the copy: whole token counts ≥ 0 (safe
 * integers), cached + cache-write input within the input, reasoning within the output.
 */
export function readUsage(usage: TokenUsage): UsageSnapshot {
  if (usage === null || typeof usage !== 'object') {
    throw new BudgetValidationError({ field: 'usage', value: usage, reason: 'expected a usage object' })
  }
  const {
    inputTokens,
    outputTokens,
    cachedInputTokens,
    cacheWriteInputTokens,
    reasoningTokens,
    estimated,
    rejectedFields,
  } = usage
  assertCount(inputTokens, 'usage.inputTokens')
  assertCount(outputTokens, 'usage.outputTokens')
  assertSafeSum(inputTokens, outputTokens, 'usage.outputTokens', 'usage.inputTokens')
  assertPart(cachedInputTokens, 'cachedInputTokens', inputTokens, 'inputTokens')
  assertPart(cacheWriteInputTokens, 'cacheWriteInputTokens', inputTokens, 'inputTokens')
  if (
    cachedInputTokens !== undefined &&
    cacheWriteInputTokens !== undefined &&
    cachedInputTokens + cacheWriteInputTokens > inputTokens
  ) {
    throw new BudgetValidationError({
      field: 'usage.cacheWriteInputTokens',
      value: cacheWriteInputTokens,
      reason: `cachedInputTokens (${cachedInputTokens}) + cacheWriteInputTokens must not exceed inputTokens (${inputTokens}), which includes both`,
    })
  }
  assertPart(reasoningTokens, 'reasoningTokens', outputTokens, 'outputTokens')
  if (rejectedFields !== undefined && !isStringArray(rejectedFields)) {
    throw new BudgetValidationError({
      field: 'usage.rejectedFields',
      value: rejectedFields,
      reason: 'expected an array of field names',
    })
  }
  return {
    inputTokens,
    outputTokens,
    cachedInputTokens,
    cacheWriteInputTokens,
    reasoningTokens,
    estimated: estimated === true,
    rejectedFields:
      rejectedFields === undefined || rejectedFields.length === 0 ? undefined : [...rejectedFields],
  }
}

function assertPart(part: number | undefined, name: string, whole: number, wholeName: string): void {
  if (part === undefined) return
  assertCount(part, `usage.${name}`)
  if (part > whole) {
    throw new BudgetValidationError({
      field: `usage.${name}`,
      value: part,
      reason: `must not exceed ${wholeName} (${whole}), which includes it`,
    })
  }
}

/** Throws unless `value` is a whole number ≥ 0 and ≤ 2^53 − 1 (the common case checked first). */
function assertCount(value: unknown, field: string): asserts value is number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return
  assertAmount(value, field, { integer: true })
}

/** Two safe integers whose sum (the tokens a counter adds) must stay a safe integer. */
function assertSafeSum(a: number, b: number, field: string, otherField: string): void {
  if (!Number.isSafeInteger(a + b)) {
    throw new BudgetValidationError({
      field,
      value: b,
      reason: `${otherField} + this must not exceed 2^53 − 1`,
    })
  }
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

/** Throws unless `value` is a duration > 0 ms. */
export function assertPositive(value: unknown, field: string): asserts value is number {
  assertAmount(value, field)
  if (value === 0) throw new BudgetValidationError({ field, value, reason: 'expected a duration > 0 ms' })
}
