import type {
  LanguageModelV4CallOptions,
  LanguageModelV4FilePart,
  LanguageModelV4Prompt,
  LanguageModelV4ToolResultOutput,
} from '@ai-sdk/provider'
import type { TokenEstimator } from '@tokenwarden/core'
import {
  type CallPart,
  estimateCallInput,
  type PolicyInput,
  type PolicyMessage,
} from '@tokenwarden/core/adapter'

/**
 * Estimates the input tokens of a call from its prompt and tool definitions, with the budget's
 * estimator and the core's rules (`estimateCallInput`): text, tool calls and results, files sized from
 * their bytes or (images) dimensions, full tool schemas and the JSON output schema. The text is never kept.
 *
 * @example
 * const inputTokens = estimatePromptTokens(params, budget.estimator)
 */
export function estimatePromptTokens(
  params: Pick<LanguageModelV4CallOptions, 'prompt' | 'tools' | 'responseFormat'>,
  estimator: TokenEstimator,
): number {
  return estimateCallInput(toCallInput(params), estimator)
}

/**
 * The neutral description of a V4 call's input that the core's call lifecycle estimates and its
 * policies compress (messages keep their roles; tool calls and results are tool parts); `conversation`
 * names the response chain it continues (its estimate is floored by the chain's last real usage).
 *
 * @example
 * const input = toCallInput({ prompt, tools, responseFormat })
 */
export function toCallInput(
  { prompt, tools, responseFormat }: Pick<LanguageModelV4CallOptions, 'prompt' | 'tools' | 'responseFormat'>,
  conversation?: string,
): PolicyInput {
  return {
    messages: toMessages(prompt),
    tools,
    responseSchema: responseFormat?.type === 'json' ? responseFormat.schema : undefined,
    conversation,
  }
}

function toMessages(prompt: LanguageModelV4Prompt): PolicyInput['messages'] {
  // Text and reasoning parts are already what the core counts: a prompt of those alone passes as it is.
  if (prompt.every(isPlain)) return prompt as PolicyInput['messages']
  return prompt.map(
    (message): PolicyMessage =>
      typeof message.content === 'string'
        ? (message as PolicyMessage)
        : { role: message.role, content: toMessage(message.content) },
  )
}

function isPlain(message: LanguageModelV4Prompt[number]): boolean {
  if (typeof message.content === 'string') return true
  for (const part of message.content) if (part.type !== 'text' && part.type !== 'reasoning') return false
  return true
}

type PromptPart = Exclude<LanguageModelV4Prompt[number]['content'], string>[number]

function toMessage(content: readonly PromptPart[]): CallPart[] {
  const parts: CallPart[] = []
  for (const part of content) {
    switch (part.type) {
      case 'text':
      case 'reasoning':
        parts.push(part)
        break
      case 'file':
        parts.push(filePart(part))
        break
      case 'reasoning-file':
        parts.push({ type: 'file' })
        break
      case 'tool-call':
        parts.push({ type: 'tool-call', name: part.toolName, text: stringify(part.input) })
        break
      case 'tool-result':
        toolResult(part.toolName, part.output, parts)
        break
      case 'tool-approval-response':
        parts.push(part.reason ?? '')
        break
    }
  }
  return parts
}

function filePart(part: LanguageModelV4FilePart): CallPart {
  const { data, mediaType } = part
  if (data.type === 'text') return data.text
  const bytes = data.type === 'data' ? data.data : undefined
  if (mediaType.startsWith('image/')) return { type: 'image', data: bytes }
  if (mediaType.startsWith('audio/')) return { type: 'audio', data: bytes }
  return { type: 'file', data: bytes, mediaType }
}

/** A tool result as the core's `tool-result` part (the text compression may truncate), files apart. */
function toolResult(name: string, output: LanguageModelV4ToolResultOutput, parts: CallPart[]): void {
  switch (output.type) {
    case 'text':
    case 'error-text':
      parts.push({ type: 'tool-result', name, text: output.value })
      break
    case 'json':
    case 'error-json':
      parts.push({ type: 'tool-result', name, text: stringify(output.value) })
      break
    case 'execution-denied':
      parts.push({ type: 'tool-result', name, text: output.reason ?? '' })
      break
    case 'content': {
      const texts: string[] = []
      for (const item of output.value) {
        if (item.type === 'text') texts.push(item.text)
        else if (item.type === 'file') parts.push(filePart(item as LanguageModelV4FilePart))
      }
      parts.push({ type: 'tool-result', name, text: texts.join('\n') })
      break
    }
    default:
      parts.push({ type: 'tool-result', name, text: '' })
  }
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value
  try {
    return JSON.stringify(value) ?? ''
  } catch {
    return ''
  }
}
