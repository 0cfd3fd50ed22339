import type { ReportedUsage } from '@tokenwarden/core/adapter'

/**
 * Maps Anthropic's usage onto the core's fields. Anthropic's `input_tokens` excludes the cache reads
 * (`cache_read_input_tokens`) and cache writes (`cache_creation_input_tokens`), so the input total is
 * their sum; reads and writes go apart, to be priced at their own rates. Values pass unchecked (the
 * core's `sanitizeUsage` rejects garbage); a missing `output_tokens` (a stream cut before its
 * `message_delta`) stays missing, so the core estimates it from the output counted.
 *
 * @example
 * reportedUsage({ input_tokens: 50, cache_read_input_tokens: 30, cache_creation_input_tokens: 20, output_tokens: 7 })
 * // { inputTokens: 100, outputTokens: 7, cachedInputTokens: 30, cacheWriteInputTokens: 20 }
 */
export function reportedUsage(usage: unknown): ReportedUsage | undefined {
  if (usage === null || typeof usage !== 'object') return undefined
  const {
    input_tokens: input,
    output_tokens: outputTokens,
    cache_read_input_tokens: read,
    cache_creation_input_tokens: write,
    output_tokens_details: details,
  } = usage as Record<string, unknown>
  const reported: ReportedUsage = {
    inputTokens: typeof input === 'number' ? input + amount(read) + amount(write) : input,
    outputTokens,
  }
  if (read != null) reported.cachedInputTokens = read
  if (write != null) reported.cacheWriteInputTokens = write
  const thinking = (details as { thinking_tokens?: unknown } | null | undefined)?.thinking_tokens
  if (thinking != null) reported.reasoningTokens = thinking
  return reported
}

/** A part that is a usable count adds to the input total; garbage is left for `sanitizeUsage` to reject. */
function amount(value: unknown): number {
  return typeof value === 'number' && value >= 0 && Number.isFinite(value) ? value : 0
}
