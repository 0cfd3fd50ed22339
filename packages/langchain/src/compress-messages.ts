import { type BaseMessage, SystemMessage, ToolMessage } from '@langchain/core/messages'
import {
  type CompressionPlan,
  isLowSignalText,
  type PlanMessage,
  planCompression,
  type ResolvedCompressionOptions,
  summaryMessageText,
  type TokenEstimator,
  type TranscriptEntry,
  truncateToTokens,
} from '@tokenwarden/core'
import { estimateCallInput } from '@tokenwarden/core/adapter'
import { messageText, toCallInput } from './to-call-input.ts'

/** The compressed messages, the summary to show in the system message, and the plan. */
export interface CompressedMessages {
  messages: BaseMessage[]
  /** Text to append to the system message (the summary of the older turns). */
  summaryText: string | undefined
  plan: CompressionPlan
  /** Why the summary failed (its turns were dropped instead). */
  summaryError?: string
}

const roles: Record<string, PlanMessage['role']> = {
  system: 'system',
  human: 'user',
  ai: 'assistant',
  tool: 'tool',
  function: 'tool',
}

/**
 * Fits a model request's messages to the target of the usage level its context reached, following the
 * core's `planCompression`: drops turns, truncates tool results, or summarizes older turns (the summary
 * goes in the system message). The system message (counted in `fixedTokens`) and the latest turns stay
 * as they are; the agent's state is never changed. `undefined` when nothing needs to change.
 *
 * @example
 * const compressed = await compressMessages({ messages: request.messages, fixedTokens, usage: 0.93, options, estimator })
 */
export async function compressMessages({
  messages,
  fixedTokens,
  usage,
  options,
  estimator,
  summarize,
}: {
  messages: readonly BaseMessage[]
  fixedTokens: number
  usage: number
  options: ResolvedCompressionOptions
  estimator: TokenEstimator
  summarize?: (entries: TranscriptEntry[]) => Promise<string>
}): Promise<CompressedMessages | undefined> {
  const sizeOf = (message: BaseMessage) => estimateCallInput(toCallInput([message]), estimator)
  const planned: PlanMessage[] = messages.map((message) => {
    const role = roles[message.type] ?? 'user'
    const toolCalls = (message as { tool_calls?: unknown[] }).tool_calls
    const plain =
      (role === 'user' || role === 'assistant') && (toolCalls === undefined || toolCalls.length === 0)
    return { role, tokens: sizeOf(message), lowSignal: plain && isLowSignalText(messageText(message)) }
  })
  const plan = planCompression({
    options,
    usage,
    messages: planned,
    fixedTokens,
    canSummarize: summarize !== undefined,
  })
  if (plan === undefined || plan.applied.length === 0) return undefined

  const truncate = (message: BaseMessage, toTokens: number): BaseMessage => {
    if (!ToolMessage.isInstance(message)) return message
    const text = messageText(message)
    const room = toTokens - (sizeOf(message) - estimator.count(text))
    return new ToolMessage({
      content: truncateToTokens(text, Math.max(1, room), estimator),
      tool_call_id: message.tool_call_id,
      name: message.name,
      status: message.status,
      id: message.id,
    })
  }
  let summaryText: string | undefined
  let summaryError: string | undefined
  if (plan.summarized.length > 0 && summarize !== undefined) {
    try {
      const summary = await summarize(
        plan.summarized.map((index) => {
          const action = plan.actions[index]!
          const message = messages[index]!
          const shown =
            action.type === 'summarize' && action.toTokens !== undefined
              ? truncate(message, action.toTokens)
              : message
          return { role: planned[index]!.role, text: messageText(shown) }
        }),
      )
      summaryText = summaryMessageText(summary)
    } catch (error) {
      summaryError = error instanceof Error ? error.message : String(error)
    }
  }
  const kept: BaseMessage[] = []
  messages.forEach((message, index) => {
    const action = plan.actions[index]!
    if (action.type === 'keep') kept.push(message)
    else if (action.type === 'truncate') kept.push(truncate(message, action.toTokens))
  })
  const compressed: CompressedMessages = { messages: kept, summaryText, plan }
  if (summaryError !== undefined) compressed.summaryError = summaryError
  return compressed
}

/**
 * The system message with the summary of the older turns appended (unchanged without one).
 *
 * @example
 * withSummary(request.systemMessage, compressed.summaryText)
 */
export function withSummary(systemMessage: SystemMessage, summaryText: string | undefined): SystemMessage {
  if (summaryText === undefined) return systemMessage
  if (systemMessage.text.length === 0) return new SystemMessage(summaryText)
  return systemMessage.concat(`\n\n${summaryText}`)
}
