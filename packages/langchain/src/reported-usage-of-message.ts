import type { ReportedUsage } from '@tokenwarden/core/adapter'

/** The usage fields a LangChain `AIMessage` carries (`usage_metadata`, `response_metadata.tokenUsage`). */
interface UsageCarrier {
  usage_metadata?: {
    input_tokens?: unknown
    output_tokens?: unknown
    input_token_details?: { cache_read?: unknown; cache_creation?: unknown }
    output_token_details?: { reasoning?: unknown }
  }
  response_metadata?: { tokenUsage?: unknown }
}

/**
 * The usage a LangChain message reports, under tokenwarden's names and unchecked (the core's
 * `BudgetCall.finish` sanitizes it): `usage_metadata`, else the legacy `{ promptTokens,
 * completionTokens }` of `response_metadata.tokenUsage` (or `llmOutput.tokenUsage` as `legacy`);
 * `undefined` when it reports none.
 *
 * @example
 * await call.finish(reportedUsageOfMessage(await model.invoke('Hi')))
 */
export function reportedUsageOfMessage(message: unknown, legacy?: unknown): ReportedUsage | undefined {
  const { usage_metadata: metadata, response_metadata: response } = (message ?? {}) as UsageCarrier
  if (metadata === null || typeof metadata !== 'object') {
    const tokenUsage = response?.tokenUsage ?? legacy
    if (tokenUsage === null || typeof tokenUsage !== 'object') return undefined
    const { promptTokens, completionTokens } = tokenUsage as Record<string, unknown>
    return { inputTokens: promptTokens, outputTokens: completionTokens }
  }
  const { input_token_details: input, output_token_details: output } = metadata
  return {
    inputTokens: metadata.input_tokens,
    outputTokens: metadata.output_tokens,
    cachedInputTokens: input?.cache_read,
    cacheWriteInputTokens: input?.cache_creation,
    reasoningTokens: output?.reasoning,
  }
}
