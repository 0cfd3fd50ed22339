import type { TokenUsage } from '@tokenwarden/core'
import type { Endpoint } from './endpoint-of.ts'

/**
 * Converts the `usage` object of an OpenAI response to a {@link TokenUsage}: chat and embeddings
 * (`prompt_tokens`, `completion_tokens`, cached and reasoning details) or responses (`input_tokens`,
 * `output_tokens`, cached, cache-write and reasoning details). `undefined` when no usage was reported.
 *
 * @example
 * tokenUsageFrom('chat', completion.usage) // { inputTokens: 12, outputTokens: 3, cachedInputTokens: 4, reasoningTokens: 0 }
 */
export function tokenUsageFrom(endpoint: Endpoint, usage: unknown): TokenUsage | undefined {
  if (usage === null || typeof usage !== 'object') return undefined
  const fields = usage as Record<string, any>
  if (endpoint === 'responses') {
    const inputTokens = count(fields.input_tokens)
    const outputTokens = count(fields.output_tokens)
    if (inputTokens === undefined || outputTokens === undefined) return undefined
    return {
      inputTokens,
      outputTokens,
      cachedInputTokens: part(fields.input_tokens_details?.cached_tokens, inputTokens),
      cacheWriteInputTokens: part(fields.input_tokens_details?.cache_write_tokens, inputTokens),
      reasoningTokens: part(fields.output_tokens_details?.reasoning_tokens, outputTokens),
    }
  }
  const inputTokens = count(fields.prompt_tokens)
  if (inputTokens === undefined) return undefined
  const outputTokens = endpoint === 'embeddings' ? 0 : count(fields.completion_tokens)
  if (outputTokens === undefined) return undefined
  return {
    inputTokens,
    outputTokens,
    cachedInputTokens: part(fields.prompt_tokens_details?.cached_tokens, inputTokens),
    reasoningTokens: part(fields.completion_tokens_details?.reasoning_tokens, outputTokens),
  }
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined
}

/** A detail (cached, reasoning) within its total; a server that reports more cannot fail the settle. */
function part(value: unknown, whole: number): number {
  return Math.min(count(value) ?? 0, whole)
}
