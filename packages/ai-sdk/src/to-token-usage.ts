import type { LanguageModelV4Usage } from '@ai-sdk/provider'
import type { TokenUsage } from '@tokenwarden/core'
import { type ReportedUsage, sanitizeUsage, type UsageEstimate } from '@tokenwarden/core/adapter'

/**
 * Converts the nested usage of a V4 model call into the core's `TokenUsage` (input includes cache reads
 * and writes, output includes reasoning) through the core's `sanitizeUsage`: a side the provider did
 * not report, or reported unusably (NaN, negative, infinite, not a number), is taken from `estimate`
 * and the usage is marked `estimated`; unusable fields are named in `rejectedFields` (settle reports
 * them as a `usageRejected` event). `estimate` may be a function, called only when needed.
 *
 * @example
 * toTokenUsage(result.usage, { inputTokens: 120, outputTokens: 0 })
 * // { inputTokens: 100, outputTokens: 20, cachedInputTokens: 40, reasoningTokens: 5, estimated: false }
 */
export function toTokenUsage(
  usage: LanguageModelV4Usage | undefined,
  estimate: UsageEstimate | (() => UsageEstimate),
): TokenUsage {
  return sanitizeUsage(reportedUsage(usage), { estimate })
}

/**
 * The nested usage of a V4 model call on the core's fields, unchecked (for `BudgetCall.finish`, which
 * sanitizes it): input includes cache reads and writes, output includes reasoning; a missing total is
 * the sum of its parts.
 *
 * @example
 * await call.finish(reportedUsage(result.usage))
 */
export function reportedUsage(usage: LanguageModelV4Usage | undefined): ReportedUsage | undefined {
  if (usage === undefined || usage === null || typeof usage !== 'object') return undefined
  const { total: input, noCache, cacheRead, cacheWrite } = usage.inputTokens ?? {}
  const { total: output, text, reasoning } = usage.outputTokens ?? {}
  return {
    inputTokens: input ?? sum(noCache, cacheRead, cacheWrite),
    outputTokens: output ?? sum(text, reasoning),
    cachedInputTokens: cacheRead,
    cacheWriteInputTokens: cacheWrite,
    reasoningTokens: reasoning,
  }
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

/** The sum of the reported parts; NaN (rejected) when a part is unusable, undefined when none is reported. */
function sum(...parts: unknown[]): number | undefined {
  let total: number | undefined
  for (const part of parts) {
    if (part === undefined || part === null) continue
    if (typeof part !== 'number' || !(part >= 0)) return Number.NaN
    total = (total ?? 0) + part
  }
  return total
}
