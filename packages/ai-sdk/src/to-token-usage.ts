import type { LanguageModelV4Usage } from '@ai-sdk/provider'
import type { TokenUsage } from '@tokenwarden/core'

/** Our own estimates of a call, used for whatever the provider did not report. */
export interface UsageEstimate {
  inputTokens: number
  outputTokens: number
}

/**
 * Converts the nested usage of a V4 model call into the core's `TokenUsage` (input includes cache reads
 * and writes, output includes reasoning). A side the provider did not report is taken from `estimate`
 * and the usage is marked `estimated`.
 *
 * @example
 * toTokenUsage(result.usage, { inputTokens: 120, outputTokens: 0 })
 * // { inputTokens: 100, outputTokens: 20, cachedInputTokens: 40, reasoningTokens: 5, estimated: false }
 */
export function toTokenUsage(usage: LanguageModelV4Usage | undefined, estimate: UsageEstimate): TokenUsage {
  const input = usage?.inputTokens
  const output = usage?.outputTokens
  const reportedInput = input?.total ?? sum(input?.noCache, input?.cacheRead, input?.cacheWrite)
  const reportedOutput = output?.total ?? sum(output?.text, output?.reasoning)
  const inputTokens = count(reportedInput ?? estimate.inputTokens)
  const outputTokens = count(reportedOutput ?? estimate.outputTokens)
  const result: TokenUsage = {
    inputTokens,
    outputTokens,
    estimated: reportedInput === undefined || reportedOutput === undefined,
  }
  if (input?.cacheRead !== undefined) result.cachedInputTokens = Math.min(count(input.cacheRead), inputTokens)
  if (input?.cacheWrite !== undefined)
    result.cacheWriteInputTokens = Math.min(count(input.cacheWrite), inputTokens)
  if (output?.reasoning !== undefined)
    result.reasoningTokens = Math.min(count(output.reasoning), outputTokens)
  return result
}

/**
 * True when the usage reports the output side, so {@link toTokenUsage} needs no output estimate.
 *
 * @example
 * const outputTokens = reportsOutputTokens(result.usage) ? 0 : estimateContentTokens(result.content, estimator)
 */
export function reportsOutputTokens(usage: LanguageModelV4Usage | undefined): boolean {
  const output = usage?.outputTokens
  return (
    output !== undefined &&
    (output.total !== undefined || output.text !== undefined || output.reasoning !== undefined)
  )
}

/**
 * The V4 usage of an estimate (for synthetic finish parts), with only totals set.
 *
 * @example
 * toModelUsage({ inputTokens: 120, outputTokens: 30 })
 */
export function toModelUsage(usage: UsageEstimate): LanguageModelV4Usage {
  return {
    inputTokens: {
      total: usage.inputTokens,
      noCache: usage.inputTokens,
      cacheRead: undefined,
      cacheWrite: undefined,
    },
    outputTokens: { total: usage.outputTokens, text: usage.outputTokens, reasoning: undefined },
  }
}

function sum(...parts: (number | undefined)[]): number | undefined {
  let total: number | undefined
  for (const part of parts) if (part !== undefined) total = (total ?? 0) + part
  return total
}

/** A whole, non-negative token count (providers occasionally send floats or negatives). */
function count(value: number): number {
  return Number.isFinite(value) ? Math.max(0, Math.round(value)) : 0
}
