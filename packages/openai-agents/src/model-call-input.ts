import type { ModelRequest } from '@openai/agents'
import type { CallInput, CallMessage, CallPart, ReportedUsage } from '@tokenwarden/core/adapter'

/**
 * A model request of the Agents SDK as the core's `CallInput`: the instructions, each input item
 * (messages by their parts, other items such as tool calls and results as JSON), the tools, handoffs,
 * output schema and the response chain it continues (`previousResponseId` or `conversationId`).
 *
 * @example
 * toCallInput({ systemInstructions: 'Be terse.', input: 'Hi', tools: [], handoffs: [], outputType: 'text', modelSettings: {}, tracing: false })
 */
export function toCallInput(request: ModelRequest): CallInput {
  const messages: CallMessage[] = []
  if (typeof request.systemInstructions === 'string') messages.push(request.systemInstructions)
  const input = request.input
  if (typeof input === 'string') messages.push(input)
  else if (Array.isArray(input)) for (const item of input) messages.push(itemMessage(item))
  const { tools = [], handoffs = [] } = request
  const chain = request.previousResponseId ?? request.conversationId
  return {
    messages,
    tools: handoffs.length === 0 ? tools : [...tools, ...handoffs],
    responseSchema: request.outputType === 'text' ? undefined : request.outputType,
    conversation: typeof chain === 'string' && chain.length > 0 ? chain : undefined,
  }
}

function itemMessage(item: unknown): CallMessage {
  const content = (item as { content?: unknown } | null)?.content
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return [{ type: 'json', value: item }]
  return content.map(contentPart)
}

function contentPart(part: { type?: unknown; text?: unknown; refusal?: unknown }): CallPart {
  if (typeof part?.text === 'string') return { type: 'text', text: part.text }
  if (typeof part?.refusal === 'string') return { type: 'text', text: part.refusal }
  if (part?.type === 'input_image') return { type: 'image' }
  if (part?.type === 'input_file') return { type: 'file' }
  return { type: 'json', value: part }
}

type SdkUsage = Partial<
  Record<
    'inputTokens' | 'outputTokens' | 'totalTokens' | 'inputTokensDetails' | 'outputTokensDetails',
    unknown
  >
>

/**
 * The SDK's usage (a `Usage`, or a stream's `response_done` usage) on the core's fields, unchecked (for
 * `BudgetCall.finish`, which sanitizes it). The SDK's models report a response without usage as all
 * zeros: that is no report (the call is settled from its estimate), never a free call.
 *
 * @example
 * await call.finish(reportedUsage(response.usage))
 */
export function reportedUsage(usage: SdkUsage | null | undefined): ReportedUsage | undefined {
  if (usage === null || typeof usage !== 'object') return undefined
  const { inputTokens, outputTokens, totalTokens } = usage
  if (inputTokens === 0 && outputTokens === 0 && (totalTokens ?? 0) === 0) return undefined
  return {
    inputTokens,
    outputTokens,
    cachedInputTokens: detail(usage.inputTokensDetails, 'cached_tokens'),
    cacheWriteInputTokens: detail(usage.inputTokensDetails, 'cache_write_tokens'),
    reasoningTokens: detail(usage.outputTokensDetails, 'reasoning_tokens'),
  }
}

/** A detail of one request: a record, or the SDK's list of one record per request (summed). */
function detail(details: unknown, key: string): unknown {
  if (!Array.isArray(details)) return (details as Record<string, unknown> | null | undefined)?.[key]
  let total: number | undefined
  for (const entry of details) {
    const value = (entry as Record<string, unknown> | null)?.[key]
    if (value === undefined) continue
    if (typeof value !== 'number') return value
    total = (total ?? 0) + value
  }
  return total
}
