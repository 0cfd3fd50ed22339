import type { CallInput, CallPart, PolicyMessage } from '@tokenwarden/core/adapter'

/** The budgeted OpenAI endpoints. */
export type Endpoint = 'chat' | 'responses' | 'embeddings'

/** Keys that name or link an item rather than carry its content. */
const skippedKeys = new Set(['type', 'id', 'call_id', 'status', 'role', 'detail', 'format', 'filename'])
/** Body fields counted as JSON: tool definitions, output schemas, predicted output. */
const schemaKeys = ['response_format', 'text', 'prediction'] as const
const chatRoles: Record<string, PolicyMessage['role']> = {
  system: 'system',
  developer: 'system',
  user: 'user',
  assistant: 'assistant',
  tool: 'tool',
  function: 'tool',
}

/**
 * The neutral description of an OpenAI request for the core's estimate, read from the JSON the SDK
 * serialized (so no `toJSON` hook or getter of the caller's body runs again): chat `messages`,
 * responses `input` and `instructions`, embeddings `input`, tool definitions, output schemas, and the
 * Responses chain (`previous_response_id` or `conversation`). Images, audio and files become parts
 * sized from their data; chat messages carry their roles, tool calls and tool results (what the
 * core's compression needs). The text is never kept.
 *
 * @example
 * toCallInput('chat', { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] })
 * // { messages: [{ content: [{ type: 'text', text: 'Hi' }] }] }
 */
export function toCallInput(endpoint: Endpoint, body: Record<string, any>): CallInput {
  if (endpoint === 'embeddings') {
    const input = Array.isArray(body.input) && typeof body.input[0] !== 'number' ? body.input : [body.input]
    return { messages: input.map((item: unknown) => partsOf(item, '')) }
  }
  const items = endpoint === 'chat' ? body.messages : body.input
  const messages: CallInput['messages'][number][] = (Array.isArray(items) ? items : [items]).map(
    (item: unknown) => (endpoint === 'chat' ? chatMessage(item) : partsOf(item, '')),
  )
  if (body.instructions != null) messages.push(partsOf(body.instructions, ''))
  const input: CallInput = { messages }
  const tools = body.tools ?? body.functions
  if (Array.isArray(tools)) input.tools = tools
  const schemas = schemaKeys.filter((key) => body[key] != null).map((key) => body[key])
  if (schemas.length > 0) input.responseSchema = schemas
  const chain = body.previous_response_id ?? body.conversation?.id ?? body.conversation
  if (typeof chain === 'string' && chain.length > 0) input.conversation = chain
  return input
}

/** A chat message with its role: tool results and tool calls as their own parts, the rest as parts. */
function chatMessage(message: any): PolicyMessage {
  const role = chatRoles[String(message?.role)] ?? 'user'
  const parts: CallPart[] = []
  if (role === 'tool') parts.push({ type: 'tool-result', name: message.name, text: textOf(message.content) })
  else partsOf(message?.content, '', parts)
  if (typeof message?.refusal === 'string') parts.push({ type: 'text', text: message.refusal })
  for (const call of Array.isArray(message?.tool_calls) ? message.tool_calls : []) {
    const name = String(call?.function?.name ?? call?.custom?.name ?? '')
    parts.push({
      type: 'tool-call',
      name,
      text: String(call?.function?.arguments ?? call?.custom?.input ?? ''),
    })
  }
  return { role, content: parts }
}

/** The text of a chat message's content (a string, or its text parts joined). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('')
}

/** The parts of one message or item: its strings as text, inline data as image, audio or file parts. */
function partsOf(value: unknown, key: string, parts: CallPart[] = []): CallPart[] {
  if (typeof value === 'string') {
    parts.push(attachmentOf(value, key) ?? { type: 'text', text: value })
  } else if (typeof value === 'number' && key === '') {
    parts.push({ type: 'json', value })
  } else if (Array.isArray(value)) {
    for (const item of value) partsOf(item, key, parts)
  } else if (value !== null && typeof value === 'object') {
    for (const name in value) {
      if (!skippedKeys.has(name)) partsOf((value as Record<string, unknown>)[name], name, parts)
    }
  }
  return parts
}

/** Inline data (a data URL or base64 under a binary key) as a part sized from its bytes. */
function attachmentOf(value: string, key: string): CallPart | undefined {
  const comma = value.startsWith('data:') ? value.indexOf(',') : -1
  const data = comma === -1 ? value : value.slice(comma + 1)
  if (key === 'image_url' || key === 'url' || key === 'image_data') {
    return comma === -1 && !value.startsWith('http') ? undefined : { type: 'image', data }
  }
  if (comma !== -1 && value.startsWith('data:audio')) return { type: 'audio', data }
  if (comma !== -1 || ((key === 'data' || key === 'file_data') && value.length > 256)) {
    return { type: 'file', data }
  }
  return undefined
}
