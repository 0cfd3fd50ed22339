import type { TokenEstimator } from '@tokenwarden/core'

/** Per-message overhead (role, separators) added to the text estimate, as OpenAI's chat format does. */
const messageOverhead = 4

/**
 * Estimates the input tokens of LangChain messages (text, tool calls, tool results) with the budget's
 * estimator, plus extra texts such as tool descriptions. Never keeps the text.
 *
 * @example
 * const inputTokens = estimateMessageTokens(budget.estimator, [new HumanMessage('Hi')], ['search: web search'])
 */
export function estimateMessageTokens(
  estimator: TokenEstimator,
  messages: readonly unknown[],
  extra: readonly string[] = [],
): number {
  let tokens = 0
  for (const message of messages) {
    tokens += messageOverhead + estimator.count(messageText(message))
  }
  for (const text of extra) tokens += estimator.count(text)
  return tokens
}

/**
 * The text of a LangChain message or prompt string: its string content or text blocks, plus the
 * names and arguments of its tool calls.
 *
 * @example
 * messageText(new AIMessage({ content: 'ok', tool_calls: [{ name: 'search', args: { q: 'x' }, id: '1' }] }))
 */
export function messageText(message: unknown): string {
  if (typeof message === 'string') return message
  if (message === null || typeof message !== 'object') return ''
  const { content, tool_calls: toolCalls } = message as { content?: unknown; tool_calls?: unknown }
  let text = contentText(content)
  if (Array.isArray(toolCalls)) {
    for (const call of toolCalls as { name?: unknown; args?: unknown }[]) {
      text += `\n${typeof call.name === 'string' ? call.name : ''}${JSON.stringify(call.args ?? {})}`
    }
  }
  return text
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  let text = ''
  for (const block of content) {
    if (typeof block === 'string') text += block
    else if (block !== null && typeof block === 'object') {
      const value = (block as { text?: unknown }).text
      if (typeof value === 'string') text += value
    }
  }
  return text
}
