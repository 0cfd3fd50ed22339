import { assertAmount } from '../limits/validate.ts'
import type { TokenUsage } from './token-usage.ts'

/**
 * A provider's usage mapped onto tokenwarden's fields, unchecked: each value is whatever the provider
 * sent (`undefined`/`null` when it sent none). `inputTokens` includes cached input and cache writes;
 * `outputTokens` includes reasoning.
 *
 * @example
 * const reported: ReportedUsage = { inputTokens: body.usage?.prompt_tokens, outputTokens: body.usage?.completion_tokens }
 */
export interface ReportedUsage {
  inputTokens?: unknown
  outputTokens?: unknown
  cachedInputTokens?: unknown
  cacheWriteInputTokens?: unknown
  reasoningTokens?: unknown
}

/**
 * An adapter's own estimate of a call (the reservation's input estimate, output counted from the text
 * received), used for whatever the provider did not report or reported unusably.
 *
 * @example
 * const estimate: UsageEstimate = { inputTokens: reservation.inputTokens, outputTokens: 0 }
 */
export interface UsageEstimate {
  inputTokens: number
  outputTokens: number
}

/**
 * Turns a provider's usage into a `TokenUsage` that settles, for adapter authors (one sanitizer for
 * every adapter, so provider garbage is never counted as 0):
 * - each field is read once; a finite number ≥ 0 counts, rounded up to a whole token;
 * - a total (input or output) that is missing comes from `estimate` and marks the usage `estimated`;
 * - a value that is NaN, negative, infinite, too large or not a number is rejected: a rejected total
 *   comes from `estimate` (`estimated: true`), a rejected part is dropped (priced as uncached input or
 *   plain output), and the field's name goes into `rejectedFields`, which settle reports as a
 *   `usageRejected` event;
 * - parts are clamped to their totals: cached + cache-write input ≤ input (as a sum), reasoning ≤ output.
 *
 * `estimate` may be a function, called at most once and only when a total is needed (for estimates
 * that cost something to compute). The estimate itself must be whole token counts ≥ 0.
 *
 * @example
 * import { sanitizeUsage } from '@tokenwarden/core/adapter'
 * const usage = sanitizeUsage(
 *   { inputTokens: body.usage?.prompt_tokens, outputTokens: body.usage?.completion_tokens },
 *   { estimate: () => ({ inputTokens: reservation.inputTokens, outputTokens: countOutput(body) }) },
 * )
 * await reservation.settle(usage) // NaN from the provider: settled from the estimate, usageRejected emitted
 */
export function sanitizeUsage(
  reported: ReportedUsage | null | undefined,
  { estimate }: { estimate: UsageEstimate | (() => UsageEstimate) },
): TokenUsage {
  const rejected: string[] = []
  const source: ReportedUsage = reported ?? {}
  let inputTokens = count(source.inputTokens, 'inputTokens', rejected)
  let outputTokens = count(source.outputTokens, 'outputTokens', rejected)
  const cached = count(source.cachedInputTokens, 'cachedInputTokens', rejected)
  const cacheWrite = count(source.cacheWriteInputTokens, 'cacheWriteInputTokens', rejected)
  const reasoning = count(source.reasoningTokens, 'reasoningTokens', rejected)
  const estimated = inputTokens === undefined || outputTokens === undefined
  if (estimated) {
    const fallback = readEstimate(typeof estimate === 'function' ? estimate() : estimate)
    inputTokens ??= fallback.inputTokens
    outputTokens ??= fallback.outputTokens
  }
  const usage: TokenUsage = { inputTokens: inputTokens!, outputTokens: outputTokens!, estimated }
  if (cached !== undefined) usage.cachedInputTokens = Math.min(cached, usage.inputTokens)
  if (cacheWrite !== undefined)
    usage.cacheWriteInputTokens = Math.min(cacheWrite, usage.inputTokens - (usage.cachedInputTokens ?? 0))
  if (reasoning !== undefined) usage.reasoningTokens = Math.min(reasoning, usage.outputTokens)
  if (rejected.length > 0) usage.rejectedFields = rejected
  return usage
}

/** A whole count from a provider value; `undefined` when absent or rejected (then named in `rejected`). */
function count(value: unknown, field: string, rejected: string[]): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER)
    return value === 0 ? 0 : Math.ceil(value) // -0 counts as 0
  rejected.push(field)
  return undefined
}

function readEstimate(estimate: UsageEstimate): UsageEstimate {
  const { inputTokens, outputTokens } = estimate ?? ({} as UsageEstimate)
  assertAmount(inputTokens, 'estimate.inputTokens', { integer: true })
  assertAmount(outputTokens, 'estimate.outputTokens', { integer: true })
  return { inputTokens, outputTokens }
}
