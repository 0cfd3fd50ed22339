import type { TokenEstimator } from '../estimation/token-estimator.ts'
import type { ResolvedCompressionOptions } from '../policies/compression-options.ts'
import { isLowSignalText } from '../policies/is-low-signal-text.ts'
import { type CompressionPlan, type PlanMessage, planCompression } from '../policies/plan-compression.ts'
import {
  summaryInstructions,
  summaryMessageText,
  summaryTranscript,
  type TranscriptEntry,
} from '../policies/summary-prompt.ts'
import { truncateToTokens } from '../policies/truncate-to-tokens.ts'
import {
  type CallInput,
  type CallPart,
  contentOf,
  estimateCallInput,
  estimateCallMessage,
  estimateCallPart,
} from './estimate-call-input.ts'

/**
 * A message of a {@link PolicyInput}: a `CallMessage` with its role (a framework's `developer` is
 * `system`, `function` is `tool`). Tool calls are `{ type: 'tool-call', name, text }` parts and tool
 * results `{ type: 'tool-result', name, text }` parts, so the summary transcript can show them and
 * compression can shorten results.
 *
 * @example
 * const message: PolicyMessage = { role: 'tool', content: [{ type: 'tool-result', name: 'search', text: longResult }] }
 */
export interface PolicyMessage {
  role: 'system' | 'user' | 'assistant' | 'tool'
  content: string | readonly CallPart[]
}

/**
 * A {@link CallInput} whose messages carry their roles: what `applyCallPolicies` compresses. It is a
 * `CallInput`, so an adapter maps its request once for both the policies and `startBudgetCall`.
 *
 * @example
 * const input: PolicyInput = { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] }
 */
export interface PolicyInput extends CallInput {
  messages: readonly PolicyMessage[]
}

/**
 * What the adapter does to one of its messages: keep it, drop it (dropped or summarized), or replace
 * the texts of its tool results (`toolResults[k]` for its k-th `tool-result` part, in order).
 *
 * @example
 * if (edit.type === 'truncate') part.output = { type: 'text', value: edit.toolResults[k] }
 */
export type MessageEdit =
  | { type: 'keep' }
  | { type: 'drop' }
  | { type: 'truncate'; toolResults: readonly string[] }

/**
 * The summary call the adapter makes with its summarizer model (through the same budget and context):
 * `instructions` as the system message, `prompt` as the user message, at most `maxOutputTokens` out.
 *
 * @example
 * const summarize = async ({ instructions, prompt, maxOutputTokens }: SummaryRequest) =>
 *   (await generateText({ model: summarizer, instructions, prompt, maxOutputTokens })).text
 */
export interface SummaryRequest {
  instructions: string
  prompt: string
  maxOutputTokens: number
}

/**
 * @internal What {@link compressCallInput} decided.
 *
 * @example
 * const { plan, edits, summary } = compressed
 */
export interface CompressedInput {
  plan: CompressionPlan
  edits: MessageEdit[]
  /** The text of the message that replaces the summarized turns. */
  summary: string | undefined
  summaryError: string | undefined
}

const keep: MessageEdit = Object.freeze({ type: 'keep' })
const drop: MessageEdit = Object.freeze({ type: 'drop' })

/**
 * @internal Plans the compression of a neutral input (sizes by `estimateCallInput`'s rules, low-signal
 * turns, tool results as truncatable), asks `summarize` for the summary and truncates tool results.
 * `undefined` when nothing changes.
 *
 * @example
 * const compressed = await compressCallInput(input, { options, usage: 0.93, estimator, summarize })
 */
export async function compressCallInput(
  input: PolicyInput,
  {
    options,
    usage,
    estimator,
    summarize,
  }: {
    options: ResolvedCompressionOptions
    usage: number
    estimator: TokenEstimator
    summarize: ((request: SummaryRequest) => Promise<string>) | undefined
  },
): Promise<CompressedInput | undefined> {
  const { messages } = input
  const sizes = messages.map((message) => estimateCallMessage(message, estimator))
  const planned: PlanMessage[] = messages.map((message, index) => ({
    role: message.role,
    tokens: sizes[index]!,
    lowSignal: (message.role === 'user' || message.role === 'assistant') && isLowSignal(message.content),
    truncatable: typeof message.content !== 'string' && message.content.some(isToolResult),
  }))
  const fixedTokens = estimateCallInput(
    { messages: [], tools: input.tools, responseSchema: input.responseSchema },
    estimator,
  )
  const plan = planCompression({
    options,
    usage,
    messages: planned,
    fixedTokens,
    canSummarize: summarize !== undefined,
  })
  if (plan === undefined || plan.applied.length === 0) return undefined

  const truncated = (index: number, toTokens: number) =>
    truncateResults(contentOf(messages[index]!), toTokens, sizes[index]!, estimator)
  let summary: string | undefined
  let summaryError: string | undefined
  if (plan.summarized.length > 0 && summarize !== undefined) {
    const entries: TranscriptEntry[] = plan.summarized.map((index) => {
      const action = plan.actions[index]!
      const results =
        action.type === 'summarize' && action.toTokens !== undefined
          ? truncated(index, action.toTokens)
          : undefined
      return { role: messages[index]!.role, text: transcriptText(messages[index]!.content, results) }
    })
    try {
      const text = await summarize({
        instructions: summaryInstructions,
        prompt: summaryTranscript(entries),
        maxOutputTokens: options.summaryMaxTokens,
      })
      summary = summaryMessageText(text)
    } catch (error) {
      summaryError = error instanceof Error ? error.message : String(error)
    }
  }
  const edits = plan.actions.map((action, index): MessageEdit => {
    if (action.type === 'keep') return keep
    if (action.type === 'truncate')
      return { type: 'truncate', toolResults: truncated(index, action.toTokens) }
    return drop
  })
  return { plan, edits, summary, summaryError }
}

function isToolResult(part: CallPart): boolean {
  return typeof part !== 'string' && part.type === 'tool-result'
}

/** Empty, whitespace or an acknowledgement, in text parts only (a tool call, file or image is signal). */
function isLowSignal(content: string | readonly CallPart[]): boolean {
  if (typeof content === 'string') return isLowSignalText(content)
  let text = ''
  for (const part of content) {
    if (typeof part === 'string') text += part
    else if (typeof (part as { text?: unknown }).text !== 'string' || part.type.startsWith('tool-'))
      return false
    else text += (part as { text: string }).text
  }
  return isLowSignalText(text)
}

/**
 * The tool results' texts when the message is cut to `toTokens`: what is left after its other parts
 * and overhead, shared among the results in proportion to their size (each keeps at least a token).
 */
function truncateResults(
  content: string | readonly CallPart[],
  toTokens: number,
  messageTokens: number,
  estimator: TokenEstimator,
): string[] {
  if (typeof content === 'string') return []
  const results = content.filter(isToolResult) as { type: 'tool-result'; name?: string; text: string }[]
  const sizes = results.map((part) => estimateCallPart(part, estimator))
  const total = sizes.reduce((sum, size) => sum + size, 0)
  if (total === 0) return results.map((part) => part.text)
  const room = Math.max(1, toTokens - (messageTokens - total))
  return results.map((part, index) => {
    const name = part.name === undefined ? 0 : estimator.count(part.name)
    const share = Math.floor((room * sizes[index]!) / total) - name
    return truncateToTokens(part.text, Math.max(1, share), estimator)
  })
}

/** A readable text of a message for the summarizer (tool calls and results marked, files named). */
function transcriptText(content: string | readonly CallPart[], results: string[] | undefined): string {
  if (typeof content === 'string') return content
  const texts: string[] = []
  let result = 0
  for (const part of content) {
    if (typeof part === 'string') texts.push(part)
    else if (part.type === 'tool-call') {
      const call = part as { name: string; text: string }
      texts.push(`[calls ${call.name} ${call.text}]`)
    } else if (part.type === 'tool-result') {
      const { name, text } = part as { name?: string; text: string }
      texts.push(`[${name ?? 'tool'} returned] ${results?.[result] ?? text}`)
      result++
    } else if (part.type === 'reasoning') continue
    else if (typeof (part as { text?: unknown }).text === 'string')
      texts.push((part as { text: string }).text)
    else if (part.type === 'json') texts.push(json((part as { value: unknown }).value))
    else texts.push(`[${part.type}]`)
  }
  return texts.join('\n')
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? ''
  } catch {
    return '[json]'
  }
}
