import type {
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamResult,
  SharedV4ProviderMetadata,
} from '@ai-sdk/provider'
import type { BudgetExceededError } from '@tokenwarden/core'
import { toModelUsage } from './to-token-usage.ts'

/**
 * The raw finish reason of a call the budget ended (`result.rawFinishReason`; the unified reason is
 * `other`, or `length` when a stream was stopped at its reservation).
 *
 * @example
 * if (result.rawFinishReason === budgetExceededFinishReason) console.log('out of budget:', result.text)
 */
export const budgetExceededFinishReason = 'tokenwarden-budget-exceeded'

const finishReason: LanguageModelV4FinishReason = { unified: 'other', raw: budgetExceededFinishReason }
const noUsage = toModelUsage({ inputTokens: 0, outputTokens: 0 })

/**
 * What a refused call returns with `onExceeded: 'finish'`: the explanatory text as the model's answer,
 * zero usage, the finish reason {@link budgetExceededFinishReason} and the refusal's fields in
 * `providerMetadata.tokenwarden`. The model was not called.
 *
 * @example
 * return budgetExceededResult(error, error.message)
 */
export function budgetExceededResult(
  error: BudgetExceededError,
  text: string,
): LanguageModelV4GenerateResult {
  return {
    content: [{ type: 'text', text }],
    finishReason,
    usage: noUsage,
    providerMetadata: metadataOf(error),
    warnings: [],
  }
}

/**
 * The stream counterpart of {@link budgetExceededResult}: one text part, then a `finish` part.
 *
 * @example
 * return budgetExceededStream(error, error.message)
 */
export function budgetExceededStream(error: BudgetExceededError, text: string): LanguageModelV4StreamResult {
  const id = 'tokenwarden-budget-exceeded'
  return {
    stream: new ReadableStream({
      start(controller) {
        controller.enqueue({ type: 'stream-start', warnings: [] })
        controller.enqueue({ type: 'text-start', id })
        controller.enqueue({ type: 'text-delta', id, delta: text })
        controller.enqueue({ type: 'text-end', id })
        controller.enqueue({
          type: 'finish',
          usage: noUsage,
          finishReason,
          providerMetadata: metadataOf(error),
        })
        controller.close()
      },
    }),
  }
}

function metadataOf(error: BudgetExceededError): SharedV4ProviderMetadata {
  return {
    tokenwarden: {
      budgetExceeded: true,
      scope: error.scope,
      scopeId: error.scopeId,
      limitName: error.limitName,
      unit: error.unit,
      limit: error.limit,
      remaining: error.remaining,
      requested: error.requested,
      resetsAt: error.resetsAt,
    },
  }
}
