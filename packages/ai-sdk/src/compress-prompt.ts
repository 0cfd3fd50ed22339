import type {
  LanguageModelV4CallOptions,
  LanguageModelV4Message,
  LanguageModelV4Prompt,
  LanguageModelV4ToolResultOutput,
} from '@ai-sdk/provider'
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
import { estimatePromptTokens } from './estimate-prompt-tokens.ts'
import { injectSystemMessage } from './inject-system-message.ts'

/** Role and separator tokens that `estimatePromptTokens` counts per message. */
const messageOverheadTokens = 4

/** The compressed prompt and the plan it follows. */
export interface CompressedPrompt {
  prompt: LanguageModelV4Prompt
  plan: CompressionPlan
  /** Why the summary failed (its turns were dropped instead). */
  summaryError?: string
}

/**
 * Fits a call's prompt to the target of the usage level its context reached, following the core's
 * `planCompression`: drops, truncates (tool results) or summarizes messages, keeping system messages
 * and the latest turns as they are. The summary (from `summarize`, when given) goes in a system
 * message after the leading ones. `undefined` when nothing needs to change.
 *
 * @example
 * const compressed = await compressPrompt({ params, usage: 0.92, options, estimator: budget.estimator })
 */
export async function compressPrompt({
  params,
  usage,
  options,
  estimator,
  summarize,
}: {
  params: Pick<LanguageModelV4CallOptions, 'prompt' | 'tools' | 'responseFormat'>
  usage: number
  options: ResolvedCompressionOptions
  estimator: TokenEstimator
  summarize?: (entries: TranscriptEntry[]) => Promise<string>
}): Promise<CompressedPrompt | undefined> {
  const { prompt } = params
  const messages: PlanMessage[] = prompt.map((message) => ({
    role: message.role,
    tokens: estimatePromptTokens({ prompt: [message] }, estimator),
    lowSignal:
      (message.role === 'user' || message.role === 'assistant') && isLowSignalText(plainText(message)),
  }))
  const fixedTokens = estimatePromptTokens(
    { prompt: [], tools: params.tools, responseFormat: params.responseFormat },
    estimator,
  )
  const plan = planCompression({
    options,
    usage,
    messages,
    fixedTokens,
    canSummarize: summarize !== undefined,
  })
  if (plan === undefined || plan.applied.length === 0) return undefined

  let summary: string | undefined
  let summaryError: string | undefined
  if (plan.summarized.length > 0 && summarize !== undefined) {
    try {
      summary = await summarize(
        plan.summarized.map((index) => transcriptEntry(prompt[index]!, plan, index, estimator)),
      )
    } catch (error) {
      summaryError = error instanceof Error ? error.message : String(error)
    }
  }
  const kept: LanguageModelV4Prompt = []
  prompt.forEach((message, index) => {
    const action = plan.actions[index]!
    if (action.type === 'keep') kept.push(message)
    else if (action.type === 'truncate') kept.push(truncateMessage(message, action.toTokens, estimator))
  })
  const compressed = summary === undefined ? kept : injectSystemMessage(kept, summaryMessageText(summary))
  return summaryError === undefined
    ? { prompt: compressed, plan }
    : { prompt: compressed, plan, summaryError }
}

function transcriptEntry(
  message: LanguageModelV4Message,
  plan: CompressionPlan,
  index: number,
  estimator: TokenEstimator,
): TranscriptEntry {
  const action = plan.actions[index]!
  const shown =
    action.type === 'summarize' && action.toTokens !== undefined
      ? truncateMessage(message, action.toTokens, estimator)
      : message
  return { role: message.role, text: messageText(shown) }
}

/** The text of a user or assistant message without tool calls or files (empty when it has any). */
function plainText(message: LanguageModelV4Message): string {
  if (typeof message.content === 'string') return message.content
  let text = ''
  for (const part of message.content) {
    if (part.type === 'text') text += part.text
    else if (part.type !== 'reasoning') return 'not plain text'
  }
  return text
}

/** A readable text of any message, for the summarizer. */
function messageText(message: LanguageModelV4Message): string {
  if (typeof message.content === 'string') return message.content
  const texts: string[] = []
  for (const part of message.content) {
    if (part.type === 'text') texts.push(part.text)
    else if (part.type === 'tool-call') texts.push(`[calls ${part.toolName} ${JSON.stringify(part.input)}]`)
    else if (part.type === 'tool-result') texts.push(`[${part.toolName} returned] ${outputText(part.output)}`)
    else if (part.type === 'file') texts.push(part.data.type === 'text' ? part.data.text : '[file]')
  }
  return texts.join('\n')
}

/** A tool message whose results share `toTokens` (overhead included) in proportion to their size. */
function truncateMessage(
  message: LanguageModelV4Message,
  toTokens: number,
  estimator: TokenEstimator,
): LanguageModelV4Message {
  if (message.role !== 'tool') return message
  const room = Math.max(1, toTokens - messageOverheadTokens)
  // Each result's size as estimatePromptTokens counts it: tool name plus output.
  const sizes = message.content.map((part) =>
    part.type === 'tool-result'
      ? estimator.count(part.toolName) + estimator.count(outputText(part.output))
      : 0,
  )
  const total = sizes.reduce((sum, size) => sum + size, 0)
  if (total === 0) return message
  return {
    ...message,
    content: message.content.map((part, index) => {
      if (part.type !== 'tool-result') return part
      const share = Math.floor((room * sizes[index]!) / total) - estimator.count(part.toolName)
      const text = truncateToTokens(outputText(part.output), Math.max(1, share), estimator)
      const isError = part.output.type === 'error-text' || part.output.type === 'error-json'
      return { ...part, output: { type: isError ? 'error-text' : 'text', value: text } }
    }),
  }
}

function outputText(output: LanguageModelV4ToolResultOutput): string {
  switch (output.type) {
    case 'text':
    case 'error-text':
      return output.value
    case 'json':
    case 'error-json':
      return JSON.stringify(output.value) ?? ''
    case 'execution-denied':
      return output.reason ?? ''
    case 'content':
      return output.value.map((item) => (item.type === 'text' ? item.text : '')).join('\n')
    default:
      return ''
  }
}
