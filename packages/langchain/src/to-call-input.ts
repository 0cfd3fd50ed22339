import type { BaseMessage } from '@langchain/core/messages'
import { convertToOpenAITool } from '@langchain/core/utils/function_calling'
import type { CallPart, PolicyInput, PolicyMessage } from '@tokenwarden/core/adapter'

/** Tool definitions as the provider receives them, made once per tool object. */
const toolDefinitions = new WeakMap<object, unknown>()

const roles: Record<string, PolicyMessage['role']> = {
  system: 'system',
  developer: 'system',
  human: 'user',
  ai: 'assistant',
  tool: 'tool',
  function: 'tool',
}

/**
 * The neutral description of a LangChain call's input, for the core's estimate and policies: each
 * message's role, text, tool calls and tool results, images, files and audio, and the full tool
 * definitions (`StructuredTool`s converted to the schema the provider receives, once per tool; plain
 * tool objects as they are).
 *
 * @example
 * const input = toCallInput([new SystemMessage('Be terse.'), new HumanMessage('Hi')], [searchTool])
 * const call = await startBudgetCall(budget, { context, input })
 */
export function toCallInput(
  messages: readonly (BaseMessage | string)[],
  tools?: readonly unknown[],
): PolicyInput {
  const input: PolicyInput = { messages: messages.map(toPolicyMessage) }
  if (tools !== undefined && tools.length > 0) input.tools = tools.map(toolDefinition)
  return input
}

/**
 * The text of a LangChain message or prompt string: its string content or text blocks, plus the names
 * and arguments of its tool calls (what an output estimate counts).
 *
 * @example
 * messageText(new AIMessage({ content: 'ok', tool_calls: [{ name: 'search', args: { q: 'x' }, id: '1' }] }))
 */
export function messageText(message: unknown): string {
  if (typeof message === 'string') return message
  if (message === null || typeof message !== 'object') return ''
  const { content, tool_calls: toolCalls } = message as { content?: unknown; tool_calls?: unknown }
  let text = ''
  if (typeof content === 'string') text = content
  else if (Array.isArray(content))
    for (const block of content) {
      const value = typeof block === 'string' ? block : (block as { text?: unknown } | null)?.text
      if (typeof value === 'string') text += value
    }
  return Array.isArray(toolCalls) && toolCalls.length > 0 ? text + toolCallText(toolCalls) : text
}

function toPolicyMessage(message: BaseMessage | string): PolicyMessage {
  if (typeof message === 'string') return { role: 'user', content: message }
  const { content } = message
  const role = roles[message.type] ?? 'user'
  if (role === 'tool') {
    const name = typeof message.name === 'string' ? message.name : undefined
    return { role, content: [{ type: 'tool-result', name, text: messageText(message) }] }
  }
  const toolCalls = (message as { tool_calls?: { name?: unknown; args?: unknown }[] }).tool_calls
  const calls = Array.isArray(toolCalls) && toolCalls.length > 0
  if (typeof content === 'string' && !calls) return { role, content }
  const parts: CallPart[] =
    typeof content === 'string' ? [{ type: 'text', text: content }] : (content ?? []).map(toCallPart)
  if (calls)
    for (const call of toolCalls) {
      const name = typeof call.name === 'string' ? call.name : ''
      parts.push({ type: 'tool-call', name, text: JSON.stringify(call.args ?? {}) })
    }
  return { role, content: parts }
}

/** A content block: text as it is; images, files and audio by their data; anything else as JSON. */
function toCallPart(block: unknown): CallPart {
  if (typeof block === 'string') return block
  if (block === null || typeof block !== 'object') return ''
  const { type, text, data } = block as { type?: unknown; text?: unknown; data?: unknown }
  if (typeof text === 'string') return { type: 'text', text }
  const bytes = typeof data === 'string' || data instanceof Uint8Array ? data : undefined
  switch (type) {
    case 'image':
    case 'image_url':
      return { type: 'image', data: bytes }
    case 'file':
      return { type, data: bytes }
    case 'audio':
      return { type, data: bytes }
    case 'tool_use':
    case 'tool_call':
      return '' // the message's tool_calls count them
    default:
      return { type: 'json', value: block }
  }
}

function toolCallText(toolCalls: readonly unknown[]): string {
  let text = ''
  for (const call of toolCalls as { name?: unknown; args?: unknown }[]) {
    text += `\n${typeof call.name === 'string' ? call.name : ''}${JSON.stringify(call.args ?? {})}`
  }
  return text
}

function toolDefinition(tool: unknown): unknown {
  if (tool === null || typeof tool !== 'object') return tool
  let definition = toolDefinitions.get(tool)
  if (definition === undefined) {
    const schema = (tool as { schema?: unknown }).schema
    try {
      definition = schema === undefined ? tool : convertToOpenAITool(tool as never)
    } catch {
      definition = { name: (tool as { name?: unknown }).name }
    }
    toolDefinitions.set(tool, definition)
  }
  return definition
}
