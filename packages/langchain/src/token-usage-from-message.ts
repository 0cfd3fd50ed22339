import type { TokenUsage } from '@tokenwarden/core'

/** The usage fields a LangChain `AIMessage` carries (`usage_metadata`, `response_metadata.tokenUsage`). */
interface UsageCarrier {
  usage_metadata?: {
    input_tokens?: number
    output_tokens?: number
    input_token_details?: { cache_read?: number; cache_creation?: number }
    output_token_details?: { reasoning?: number }
  }
  response_metadata?: Record<string, unknown>
}

/**
 * Reads the usage a LangChain message reports, in tokenwarden's convention (input includes cached,
 * output includes reasoning). Prefers `usage_metadata`; falls back to `response_metadata.tokenUsage`
 * (`{ promptTokens, completionTokens }`). Returns `undefined` when the message reports no usage.
 *
 * @example
 * const message = await model.invoke('Hi')
 * const usage = tokenUsageFromMessage(message) // { inputTokens: 12, outputTokens: 3, cachedInputTokens: 4, … }
 * if (usage) await reservation.settle(usage)
 */
export function tokenUsageFromMessage(message: unknown): TokenUsage | undefined {
  if (message === null || typeof message !== 'object') return undefined
  const { usage_metadata: metadata, response_metadata: response } = message as UsageCarrier
  if (metadata !== undefined && isCount(metadata.input_tokens) && isCount(metadata.output_tokens)) {
    return withDetails(
      metadata.input_tokens,
      metadata.output_tokens,
      metadata.input_token_details?.cache_read,
      metadata.input_token_details?.cache_creation,
      metadata.output_token_details?.reasoning,
    )
  }
  return tokenUsageFromLegacy(response?.tokenUsage)
}

/**
 * Reads `llmOutput.tokenUsage` (`{ promptTokens, completionTokens }`), the usage some LangChain models
 * report on the whole result instead of on the message.
 *
 * @example
 * tokenUsageFromLegacy({ promptTokens: 10, completionTokens: 5 }) // { inputTokens: 10, outputTokens: 5 }
 */
export function tokenUsageFromLegacy(tokenUsage: unknown): TokenUsage | undefined {
  if (tokenUsage === null || typeof tokenUsage !== 'object') return undefined
  const { promptTokens, completionTokens } = tokenUsage as {
    promptTokens?: number
    completionTokens?: number
  }
  if (!isCount(promptTokens) || !isCount(completionTokens)) return undefined
  return { inputTokens: promptTokens, outputTokens: completionTokens }
}

function withDetails(
  inputTokens: number,
  outputTokens: number,
  cacheRead: number | undefined,
  cacheCreation: number | undefined,
  reasoning: number | undefined,
): TokenUsage {
  const usage: TokenUsage = { inputTokens, outputTokens }
  // Providers occasionally report a detail larger than its total; the core refuses that, so cap it.
  if (isCount(cacheRead) && cacheRead > 0) usage.cachedInputTokens = Math.min(cacheRead, inputTokens)
  if (isCount(cacheCreation) && cacheCreation > 0)
    usage.cacheWriteInputTokens = Math.min(cacheCreation, inputTokens)
  if (isCount(reasoning) && reasoning > 0) usage.reasoningTokens = Math.min(reasoning, outputTokens)
  return usage
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0
}
