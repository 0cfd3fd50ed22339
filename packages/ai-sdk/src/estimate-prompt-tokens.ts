import type {
  LanguageModelV4CallOptions,
  LanguageModelV4Prompt,
  LanguageModelV4ToolResultOutput,
} from '@ai-sdk/provider'
import type { TokenEstimator } from '@tokenwarden/core'

/** Tokens counted for each message's role and separators (OpenAI's chat format uses 3–4). */
const messageOverheadTokens = 4

/** Tokens counted for an attached file (an image tile at high detail is ~765 for OpenAI). */
const fileTokens = 1024

/**
 * Estimates the input tokens of a call from its prompt and tool definitions, with the budget's
 * estimator. Text files count their text, other files a flat amount; the text is never kept.
 *
 * @example
 * const inputTokens = estimatePromptTokens(params, budget.estimator)
 */
export function estimatePromptTokens(
  { prompt, tools, responseFormat }: Pick<LanguageModelV4CallOptions, 'prompt' | 'tools' | 'responseFormat'>,
  estimator: TokenEstimator,
): number {
  let tokens = countPrompt(prompt, estimator)
  for (const tool of tools ?? []) {
    tokens +=
      tool.type === 'function'
        ? estimator.count(`${tool.name}${tool.description ?? ''}${stringify(tool.inputSchema)}`)
        : estimator.count(`${tool.name}${stringify(tool.args)}`)
  }
  if (responseFormat?.type === 'json' && responseFormat.schema !== undefined)
    tokens += estimator.count(stringify(responseFormat.schema))
  return tokens
}

function countPrompt(prompt: LanguageModelV4Prompt, estimator: TokenEstimator): number {
  let tokens = 0
  for (const message of prompt) {
    tokens += messageOverheadTokens
    if (typeof message.content === 'string') {
      tokens += estimator.count(message.content)
      continue
    }
    for (const part of message.content) {
      switch (part.type) {
        case 'text':
        case 'reasoning':
          tokens += estimator.count(part.text)
          break
        case 'file':
          tokens += part.data.type === 'text' ? estimator.count(part.data.text) : fileTokens
          break
        case 'reasoning-file':
          tokens += fileTokens
          break
        case 'tool-call':
          tokens += estimator.count(`${part.toolName}${stringify(part.input)}`)
          break
        case 'tool-result':
          tokens += estimator.count(part.toolName) + countToolOutput(part.output, estimator)
          break
        case 'tool-approval-response':
          tokens += estimator.count(part.reason ?? '')
          break
      }
    }
  }
  return tokens
}

function countToolOutput(output: LanguageModelV4ToolResultOutput, estimator: TokenEstimator): number {
  switch (output.type) {
    case 'text':
    case 'error-text':
      return estimator.count(output.value)
    case 'json':
    case 'error-json':
      return estimator.count(stringify(output.value))
    case 'execution-denied':
      return estimator.count(output.reason ?? '')
    case 'content':
      return output.value.reduce(
        (sum, item) =>
          sum +
          (item.type === 'text'
            ? estimator.count(item.text)
            : item.type === 'file'
              ? item.data.type === 'text'
                ? estimator.count(item.data.text)
                : fileTokens
              : 0),
        0,
      )
    default:
      return 0
  }
}

function stringify(value: unknown): string {
  if (value === undefined) return ''
  if (typeof value === 'string') return value
  try {
    return JSON.stringify(value) ?? ''
  } catch {
    return ''
  }
}
