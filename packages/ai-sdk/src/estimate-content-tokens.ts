import type { LanguageModelV4Content } from '@ai-sdk/provider'
import type { TokenEstimator } from '@tokenwarden/core'

/**
 * Estimates the output tokens of a generated result from its text, reasoning and tool calls (for
 * providers that report no usage).
 *
 * @example
 * estimateContentTokens([{ type: 'text', text: 'Paris.' }], budget.estimator) // 2
 */
export function estimateContentTokens(
  content: readonly LanguageModelV4Content[],
  estimator: TokenEstimator,
): number {
  let text = ''
  for (const part of content) {
    if (part.type === 'text' || part.type === 'reasoning') text += part.text
    else if (part.type === 'tool-call') text += `${part.toolName}${part.input}`
  }
  return text.length === 0 ? 0 : estimator.count(text)
}
