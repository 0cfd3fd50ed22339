import { type BaseMessage, HumanMessage, SystemMessage } from '@langchain/core/messages'
import {
  type Budget,
  type BudgetContext,
  summaryInstructions,
  summaryTranscript,
  type TranscriptEntry,
} from '@tokenwarden/core'
import { startBudgetCall } from '@tokenwarden/core/adapter'
import { clampModelOutput } from './clamp-model-output.ts'
import { reportedUsageOfMessage } from './reported-usage-of-message.ts'
import { messageText, toCallInput } from './to-call-input.ts'

/** A chat model that can write a summary. */
export interface SummarizerModel {
  invoke(messages: BaseMessage[]): Promise<unknown>
}

/**
 * A summarize function for {@link compressMessages} that asks `summarizer` through the same budget and
 * context: reserved before (refused with `BudgetExceededError` when unaffordable), settled with the
 * reported usage under the summarizer's model name, released when it fails (one `BudgetCall`).
 *
 * @example
 * const summarize = summarizeWithModel({ budget, context, summarizer: new ChatOpenAI({ model: 'gpt-4o-mini' }), modelName: 'gpt-4o-mini', maxOutputTokens: 256 })
 */
export function summarizeWithModel({
  budget,
  context,
  summarizer,
  modelName,
  maxOutputTokens,
}: {
  budget: Budget
  context: BudgetContext
  summarizer: SummarizerModel
  modelName: string | undefined
  maxOutputTokens: number
}): (entries: TranscriptEntry[]) => Promise<string> {
  const model = clampModelOutput(summarizer, maxOutputTokens) ?? summarizer
  return async (entries) => {
    const messages = [new SystemMessage(summaryInstructions), new HumanMessage(summaryTranscript(entries))]
    const call = await startBudgetCall(budget, {
      context,
      model: modelName,
      input: toCallInput(messages),
      maxOutputTokens,
      warnings: false,
    })
    try {
      call.markSent()
      const response = await model.invoke(messages)
      const text = messageText(response)
      await call.finish(reportedUsageOfMessage(response), {
        outputTokens: () => budget.estimator.count(text),
      })
      return text
    } finally {
      await call.close()
    }
  }
}
