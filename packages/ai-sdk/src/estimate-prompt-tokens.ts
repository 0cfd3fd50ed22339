import type {
  LanguageModelV4CallOptions,
  LanguageModelV4FilePart,
  LanguageModelV4Prompt,
  LanguageModelV4ToolResultOutput,
} from '@ai-sdk/provider'
import type { TokenEstimator } from '@tokenwarden/core'
import { type CallInput, type CallPart, estimateCallInput } from '@tokenwarden/core/adapter'

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
 * The neutral description of a V4 call's input that the core's call lifecycle estimates; `conversation`
 * names the response chain it continues (its estimate is floored by the chain's last real usage).
 *
 * @example
 * const input = toCallInput({ prompt, tools, responseFormat })
 */
export function toCallInput(
  { prompt, tools, responseFormat }: Pick<LanguageModelV4CallOptions, 'prompt' | 'tools' | 'responseFormat'>,
  conversation?: string,
): CallInput {
  return {
    messages: toMessages(prompt),
    tools,
    responseSchema: responseFormat?.type === 'json' ? responseFormat.schema : undefined,
    conversation,
  }
}

function toMessages(prompt: LanguageModelV4Prompt): CallInput['messages'] {
  // Text and reasoning parts are already what the core counts: a prompt of those alone passes as it is.
  if (prompt.every(isPlain)) return prompt as CallInput['messages']
  return prompt.map((message) =>
    typeof message.content === 'string' ? message.content : toMessage(message.content),
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
        parts.push(`${part.toolName}${stringify(part.input)}`)
        break
      case 'tool-result':
        parts.push(part.toolName)
        toolOutput(part.output, parts)
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

function toolOutput(output: LanguageModelV4ToolResultOutput, parts: CallPart[]): void {
  switch (output.type) {
    case 'text':
    case 'error-text':
      parts.push(output.value)
      break
    case 'json':
    case 'error-json':
      parts.push({ type: 'json', value: output.value })
      break
    case 'execution-denied':
      parts.push(output.reason ?? '')
      break
    case 'content':
      for (const item of output.value) {
        if (item.type === 'text') parts.push(item.text)
        else if (item.type === 'file') parts.push(filePart(item as LanguageModelV4FilePart))
      }
      break
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
