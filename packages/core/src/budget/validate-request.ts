import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { assertAmount, assertId } from '../limits/validate.ts'
import type { TokenUsage } from '../usage/token-usage.ts'
import type { ReserveRequest } from './budget.ts'

/** Validates a reserve (or affordability) request; returns it with `clamp` normalised. */
export function validateRequest(request: {
  model?: string
  inputTokens: number
  clamp?: ReserveRequest['clamp']
  maxOutputTokens?: number
}) {
  if (request === null || typeof request !== 'object') {
    throw new BudgetValidationError({
      field: 'request',
      value: request,
      reason: 'expected { model, inputTokens, maxOutputTokens }',
    })
  }
  if (request.model !== undefined) assertId(request.model, 'request.model')
  assertAmount(request.inputTokens, 'request.inputTokens', { integer: true })
  if (request.maxOutputTokens !== undefined)
    assertAmount(request.maxOutputTokens, 'request.maxOutputTokens', { integer: true })
  let clamp: { minOutputTokens: number } | undefined
  if (request.clamp === true) clamp = { minOutputTokens: 1 }
  else if (request.clamp !== undefined && request.clamp !== false) {
    const min = request.clamp.minOutputTokens ?? 1
    assertAmount(min, 'request.clamp.minOutputTokens', { integer: true })
    clamp = { minOutputTokens: min }
  }
  return { model: request.model, inputTokens: request.inputTokens, clamp }
}

/** Validates a usage: whole token counts ≥ 0, parts (cached, reasoning) within their totals. */
export function validateUsage(usage: TokenUsage): void {
  if (usage === null || typeof usage !== 'object') {
    throw new BudgetValidationError({ field: 'usage', value: usage, reason: 'expected a usage object' })
  }
  assertAmount(usage.inputTokens, 'usage.inputTokens', { integer: true })
  assertAmount(usage.outputTokens, 'usage.outputTokens', { integer: true })
  assertPart(usage.cachedInputTokens, 'cachedInputTokens', usage.inputTokens, 'inputTokens')
  assertPart(usage.cacheWriteInputTokens, 'cacheWriteInputTokens', usage.inputTokens, 'inputTokens')
  assertPart(usage.reasoningTokens, 'reasoningTokens', usage.outputTokens, 'outputTokens')
}

function assertPart(part: number | undefined, name: string, whole: number, wholeName: string): void {
  if (part === undefined) return
  assertAmount(part, `usage.${name}`, { integer: true })
  if (part > whole) {
    throw new BudgetValidationError({
      field: `usage.${name}`,
      value: part,
      reason: `must not exceed ${wholeName} (${whole}), which includes it`,
    })
  }
}

/** Throws unless `value` is a duration > 0 ms. */
export function assertPositive(value: unknown, field: string): asserts value is number {
  assertAmount(value, field)
  if (value === 0) throw new BudgetValidationError({ field, value, reason: 'expected a duration > 0 ms' })
}
