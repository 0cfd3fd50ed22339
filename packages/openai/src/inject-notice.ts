import type { Endpoint } from './to-call-input.ts'

const leadingRoles = new Set(['system', 'developer'])

/**
 * Shows the budget's notice (pending warnings, status) to the model in a request's parsed JSON body:
 * chat gets a `system` message (`developer` when the conversation uses those) after the leading ones;
 * responses get it appended to `instructions`, or a developer item in front of the input when the
 * instructions are not a string. Embeddings get nothing.
 *
 * @example
 * injectNotice('chat', json, call.notice)
 */
export function injectNotice(endpoint: Endpoint, json: Record<string, any>, text: string): void {
  if (endpoint === 'chat') {
    if (!Array.isArray(json.messages)) return
    const messages: any[] = json.messages
    let index = 0
    while (index < messages.length && leadingRoles.has(messages[index]?.role)) index++
    const developer = messages.slice(0, index).some((message) => message.role === 'developer')
    messages.splice(index, 0, { role: developer ? 'developer' : 'system', content: text })
  } else if (endpoint === 'responses') {
    if (json.instructions == null || typeof json.instructions === 'string') {
      json.instructions = json.instructions ? `${json.instructions}\n\n${text}` : text
      return
    }
    const item = { type: 'message', role: 'developer', content: text }
    const input = json.input == null ? [] : Array.isArray(json.input) ? json.input : [json.input]
    json.input = [
      item,
      ...input.map((entry: unknown) => (typeof entry === 'string' ? userItem(entry) : entry)),
    ]
  }
}

function userItem(text: string) {
  return { type: 'message', role: 'user', content: text }
}
