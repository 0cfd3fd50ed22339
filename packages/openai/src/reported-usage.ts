import type { ReportedUsage } from '@tokenwarden/core/adapter'
import type { Endpoint } from './to-call-input.ts'

/**
 * The `usage` object of an OpenAI response under tokenwarden's names, unchecked (the call's `finish`
 * sanitizes it): chat and embeddings (`prompt_tokens`, `completion_tokens`, cached and reasoning
 * details) or responses (`input_tokens`, `output_tokens`, cached, cache-write and reasoning details).
 * `undefined` when there is none.
 *
 * @example
 * await call.finish(reportedUsage('chat', completion.usage))
 */
export function reportedUsage(endpoint: Endpoint, usage: unknown): ReportedUsage | undefined {
  if (usage === null || typeof usage !== 'object') return undefined
  const fields = usage as Record<string, any>
  if (endpoint === 'responses') {
    return {
      inputTokens: fields.input_tokens,
      outputTokens: fields.output_tokens,
      cachedInputTokens: fields.input_tokens_details?.cached_tokens,
      cacheWriteInputTokens: fields.input_tokens_details?.cache_write_tokens,
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
