/**
 * The usage of one model call, as providers report it. `inputTokens` includes cached input tokens and
 * `outputTokens` includes reasoning tokens (OpenAI's convention; adapters convert other shapes).
 *
 * @example
 * await reservation.settle({ inputTokens: 1100, outputTokens: 350, cachedInputTokens: 100, reasoningTokens: 0 })
 */
export interface TokenUsage {
  inputTokens: number
  outputTokens: number
  /** Input tokens read from the provider's prompt cache (part of `inputTokens`). */
  cachedInputTokens?: number
  /** Input tokens written to the provider's prompt cache (part of `inputTokens`), where billed apart. */
  cacheWriteInputTokens?: number
  /** Reasoning tokens (part of `outputTokens`). */
  reasoningTokens?: number
  /**
   * True when the usage is an estimate (the provider reported none, or a stream was cut off); the call
   * is counted in `estimatedRequests`.
   */
  estimated?: boolean
  /**
   * Fields of the provider's usage that were unusable (NaN, negative, infinite or not a number) and
   * were replaced by the estimate or dropped, as `sanitizeUsage` (`@tokenwarden/core/adapter`) sets
   * them. Settling reports them in a `usageRejected` event (field names only, never values).
   */
  rejectedFields?: readonly string[]
}
