import type { TokenUsage } from '@tokenwarden/core'
import { type ReportedUsage, sanitizeUsage, type UsageEstimate } from '@tokenwarden/core/adapter'
import type { Endpoint } from './endpoint-of.ts'

/**
 * Converts the `usage` object of an OpenAI response to a {@link TokenUsage} through the core's
 * `sanitizeUsage`: chat and embeddings (`prompt_tokens`, `completion_tokens`, cached and reasoning
 * details) or responses (`input_tokens`, `output_tokens`, cached, cache-write and reasoning details).
 * What the server did not report, or reported unusably (NaN, negative, not a number), comes from
 * `estimate` (a function is called only when needed) and the usage is marked `estimated`; unusable
 * fields are named in `rejectedFields`, which settle reports as a `usageRejected` event.
 *
 * @example
 * tokenUsageFrom('chat', completion.usage, { inputTokens: 12, outputTokens: 0 })
 * // { inputTokens: 12, outputTokens: 3, cachedInputTokens: 4, reasoningTokens: 0, estimated: false }
 */
export function tokenUsageFrom(
  endpoint: Endpoint,
  usage: unknown,
  estimate: UsageEstimate | (() => UsageEstimate),
): TokenUsage {
  return sanitizeUsage(reportedUsage(endpoint, usage), { estimate })
}

/** The server's usage fields under tokenwarden's names, unchecked; `undefined` when there is none. */
function reportedUsage(endpoint: Endpoint, usage: unknown): ReportedUsage | undefined {
  if (usage === null || typeof usage !== 'object') return undefined
  const fields = usage as Record<string, any>
  if (endpoint === 'responses') {
    const input = fields.input_tokens_details
    return {
      inputTokens: fields.input_tokens,
      outputTokens: fields.output_tokens,
      cachedInputTokens: input?.cached_tokens,
      cacheWriteInputTokens: input?.cache_write_tokens,
      reasoningTokens: fields.output_tokens_details?.reasoning_tokens,
    }
  }
  if (endpoint === 'embeddings') return { inputTokens: fields.prompt_tokens, outputTokens: 0 }
  return {
    inputTokens: fields.prompt_tokens,
    outputTokens: fields.completion_tokens,
    cachedInputTokens: fields.prompt_tokens_details?.cached_tokens,
    reasoningTokens: fields.completion_tokens_details?.reasoning_tokens,
  }
}
