import type { LanguageModelV4 } from '@ai-sdk/provider'
import {
  type Budget,
  type BudgetContext,
  summaryInstructions,
  summaryTranscript,
  type TranscriptEntry,
} from '@tokenwarden/core'
import { generateText, wrapLanguageModel } from 'ai'
import { budgetMiddleware } from './budget-middleware.ts'

/**
 * A summarize function for {@link compressPrompt} that asks `summarizer` for a summary through the same
 * budget and context (reserved, settled and charged to the summarizer's model like any call; refused
 * with `BudgetExceededError` when the budget cannot afford it). Warnings are left for the main call.
 *
 * @example
 * const summarize = summarizeWithModel({ budget, context, summarizer: openai('gpt-4o-mini'), maxOutputTokens: 256 })
 */
export function summarizeWithModel({
  budget,
  context,
  summarizer,
  maxOutputTokens,
  abortSignal,
}: {
  budget: Budget
  context: BudgetContext
  summarizer: LanguageModelV4
  maxOutputTokens: number
  abortSignal?: AbortSignal
}): (entries: TranscriptEntry[]) => Promise<string> {
  const model = wrapLanguageModel({
    model: summarizer,
    middleware: budgetMiddleware({ budget, context, injectWarnings: false }),
  })
  return async (entries) => {
    const { text } = await generateText({
      model,
      instructions: summaryInstructions,
      prompt: summaryTranscript(entries),
      maxOutputTokens,
      maxRetries: 0,
      abortSignal,
    })
    return text
  }
}
