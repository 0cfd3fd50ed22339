import type { CallInput, CallPart } from '@tokenwarden/core/adapter'

/** The parts of a Messages API request body the estimate reads (a `messages.create` params object). */
export interface MessagesBody {
  model?: unknown
  max_tokens?: unknown
  system?: unknown
  messages?: unknown
  tools?: unknown
  output_config?: { format?: { schema?: unknown } | null } | null
  [key: string]: unknown
}

/**
 * Describes a Messages API request for the core estimate: `system` and each message (text, images and
 * documents by their bytes, tool use as JSON, tool results, thinking), the tool definitions and the
 * structured-output schema. Nothing is kept.
 *
 * @example
 * toCallInput({ model: 'claude-sonnet-4-5', max_tokens: 256, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }] })
 */
export function toCallInput(body: MessagesBody): CallInput {
  const messages: (string | CallPart[])[] = []
  if (body.system !== undefined && body.system !== null) messages.push(contentParts(body.system))
  if (Array.isArray(body.messages))
    for (const message of body.messages)
      messages.push(contentParts((message as { content?: unknown })?.content))
  const input: CallInput = { messages }
  if (Array.isArray(body.tools)) input.tools = body.tools
  const schema = body.output_config?.format?.schema
  if (schema !== undefined) input.responseSchema = schema
  return input
}

function contentParts(content: unknown): string | CallPart[] {
  if (typeof content === 'string') return content
  const parts: CallPart[] = []
  if (Array.isArray(content)) for (const block of content) addBlock(block, parts)
  return parts
}

function addBlock(block: unknown, parts: CallPart[]): void {
  if (block === null || typeof block !== 'object') {
    parts.push({ type: 'json', value: block })
    return
  }
  const { type, text, thinking, source, input, content } = block as Record<string, unknown>
  const data = (source as { data?: unknown } | null | undefined)?.data
  const bytes = typeof data === 'string' ? data : undefined
  if (typeof text === 'string') parts.push({ type: 'text', text })
  else if (typeof thinking === 'string') parts.push({ type: 'text', text: thinking })
  else if (type === 'image') parts.push({ type: 'image', data: bytes })
  else if (type === 'document') parts.push({ type: 'file', data: bytes })
  else if (type === 'tool_result') {
    if (typeof content === 'string') parts.push(content)
    else if (Array.isArray(content)) for (const inner of content) addBlock(inner, parts)
  } else parts.push({ type: 'json', value: input ?? block }) // tool use and anything else: its JSON
}
