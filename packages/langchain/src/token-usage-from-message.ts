import type { TokenUsage } from '@tokenwarden/core'
import { type ReportedUsage, sanitizeUsage, type UsageEstimate } from '@tokenwarden/core/adapter'

/** The usage fields a LangChain `AIMessage` carries (`usage_metadata`, `response_metadata.tokenUsage`). */
interface UsageCarrier {
  usage_metadata?: {
    input_tokens?: unknown
    output_tokens?: unknown
    input_token_details?: { cache_read?: unknown; cache_creation?: unknown }
    output_token_details?: { reasoning?: unknown }
  }
  response_metadata?: Record<string, unknown>
}

/**
 * Reads the usage a LangChain message reports, in tokenwarden's convention (input includes cached,
 * output includes reasoning), through the core's `sanitizeUsage`. Prefers `usage_metadata`; falls back
 * to `response_metadata.tokenUsage` (`{ promptTokens, completionTokens }`). What the message does not
 * report, or reports unusably (NaN, negative, not a number), comes from `estimate` (a function is
 * called only when needed) and the usage is marked `estimated`; unusable fields are named in
 * `rejectedFields`, which settle reports as a `usageRejected` event.
 *
 * @example
 * const message = await model.invoke('Hi')
 * const usage = tokenUsageFromMessage(message, { inputTokens: reservation.inputTokens, outputTokens: 0 })
 * await reservation.settle(usage) // { inputTokens: 12, outputTokens: 3, cachedInputTokens: 4, … }
 */
export function tokenUsageFromMessage(
  message: unknown,
  estimate: UsageEstimate | (() => UsageEstimate),
): TokenUsage {
  return sanitizeUsage(reportedUsageOfMessage(message), { estimate })
}

/**
 * Reads `llmOutput.tokenUsage` (`{ promptTokens, completionTokens }`), the usage some LangChain models
 * report on the whole result instead of on the message, through the core's `sanitizeUsage`.
 *
 * @example
 * tokenUsageFromLegacy({ promptTokens: 10, completionTokens: 5 }, estimate) // { inputTokens: 10, outputTokens: 5, estimated: false }
 */
export function tokenUsageFromLegacy(
  tokenUsage: unknown,
  estimate: UsageEstimate | (() => UsageEstimate),
): TokenUsage {
  return sanitizeUsage(reportedLegacyUsage(tokenUsage), { estimate })
}

/**
 * The usage a message reports under tokenwarden's names, unchecked; `undefined` when it reports none.
 *
 * @example
 * const reported = reportedUsageOfMessage(message) // { inputTokens: 12, outputTokens: 3, … }
 */
export function reportedUsageOfMessage(message: unknown): ReportedUsage | undefined {
  if (message === null || typeof message !== 'object') return undefined
  const { usage_metadata: metadata, response_metadata: response } = message as UsageCarrier
  if (metadata === null || typeof metadata !== 'object') return reportedLegacyUsage(response?.tokenUsage)
  const { input_token_details: input, output_token_details: output } = metadata
  return {
    inputTokens: metadata.input_tokens,
    outputTokens: metadata.output_tokens,
    cachedInputTokens: input?.cache_read,
    cacheWriteInputTokens: input?.cache_creation,
    reasoningTokens: output?.reasoning,
  }
}

/**
 * The legacy `{ promptTokens, completionTokens }` usage under tokenwarden's names, unchecked.
 *
 * @example
 * reportedLegacyUsage(result.llmOutput?.tokenUsage) // { inputTokens: 10, outputTokens: 5 }
 */
export function reportedLegacyUsage(tokenUsage: unknown): ReportedUsage | undefined {
  if (tokenUsage === null || typeof tokenUsage !== 'object') return undefined
  const { promptTokens, completionTokens } = tokenUsage as Record<string, unknown>
  return { inputTokens: promptTokens, outputTokens: completionTokens }
}
