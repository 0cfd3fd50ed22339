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
import { toCallInput } from './to-call-input.ts'

type ChatMessage = Record<string, unknown>

/** The compressed messages and the plan they follow. */
export interface CompressedMessages {
  messages: ChatMessage[]
  plan: CompressionPlan
  /** Why the summary failed (its turns were dropped instead). */
  summaryError?: string
}

const roles: Record<string, PlanMessage['role']> = {
  system: 'system',
  developer: 'system',
  user: 'user',
  assistant: 'assistant',
  tool: 'tool',
  function: 'tool',
}

/**
 * Fits a chat request's `messages` to the target of the usage level its context reached, following
 * the core's `planCompression`: drops turns, truncates tool results (their content becomes a string),
 * or replaces older turns with a summary (a system or developer message after the leading ones).
 * System and developer messages and the latest turns stay as they are. Returns new message objects;
 * the caller's body is never changed. `undefined` when nothing needs to change.
 *
 * @example
 * const compressed = await compressChatMessages({ body, usage: 0.93, options, estimator: budget.estimator })
 */
export async function compressChatMessages({
  body,
  usage,
  options,
  estimator,
  summarize,
}: {
  body: Record<string, unknown>
  usage: number
  options: ResolvedCompressionOptions
  estimator: TokenEstimator
  summarize?: (entries: TranscriptEntry[]) => Promise<string>
}): Promise<CompressedMessages | undefined> {
  if (!Array.isArray(body.messages)) return undefined
  const source = body.messages as ChatMessage[]
  const sizeOf = (message: ChatMessage) =>
    estimateCallInput(toCallInput('chat', { messages: [message] }), estimator)
  const messages: PlanMessage[] = source.map((message) => {
    const role = roles[String(message?.role)] ?? 'user'
    const plain = (role === 'user' || role === 'assistant') && message.tool_calls == null
    return {
      role,
      tokens: sizeOf(message),
      lowSignal: plain && isLowSignalText(contentText(message.content)),
    }
  })
  const fixedTokens = estimateCallInput(toCallInput('chat', { ...body, messages: [] }), estimator)
  const plan = planCompression({
    options,
    usage,
    messages,
    fixedTokens,
    canSummarize: summarize !== undefined,
  })
  if (plan === undefined || plan.applied.length === 0) return undefined

  const truncate = (message: ChatMessage, toTokens: number): ChatMessage => {
    const text = contentText(message.content)
    const room = toTokens - (sizeOf(message) - estimator.count(text))
    return { ...message, content: truncateToTokens(text, Math.max(1, room), estimator) }
  }
  let summary: string | undefined
  let summaryError: string | undefined
  if (plan.summarized.length > 0 && summarize !== undefined) {
    try {
      summary = await summarize(
        plan.summarized.map((index) => {
          const action = plan.actions[index]!
          const message = source[index]!
          const shown =
            action.type === 'summarize' && action.toTokens !== undefined
              ? truncate(message, action.toTokens)
              : message
          return { role: String(message.role), text: transcriptText(shown) }
        }),
      )
    } catch (error) {
      summaryError = error instanceof Error ? error.message : String(error)
    }
  }
  const kept: ChatMessage[] = []
  source.forEach((message, index) => {
    const action = plan.actions[index]!
    if (action.type === 'keep') kept.push(message)
    else if (action.type === 'truncate') kept.push(truncate(message, action.toTokens))
  })
  if (summary !== undefined) {
    let at = 0
    while (at < kept.length && (kept[at]!.role === 'system' || kept[at]!.role === 'developer')) at++
    const role = kept.slice(0, at).some((message) => message.role === 'developer') ? 'developer' : 'system'
    kept.splice(at, 0, { role, content: summaryMessageText(summary) })
  }
  return summaryError === undefined ? { messages: kept, plan } : { messages: kept, plan, summaryError }
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content
    .map((part: { type?: unknown; text?: unknown }) => (typeof part?.text === 'string' ? part.text : ''))
    .join('')
}

function transcriptText(message: ChatMessage): string {
  const texts = [contentText(message.content)]
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls as { function?: { name?: unknown; arguments?: unknown } }[]) {
      texts.push(`[calls ${String(call.function?.name)} ${String(call.function?.arguments ?? '')}]`)
    }
  }
  return texts.filter((text) => text.length > 0).join('\n')
}
