import type { BudgetedCall } from './plan-call.ts'

/**
 * Applies a call's edits to the serialized JSON body of one attempt: a downgraded `model`, compressed
 * chat `messages`, pending warnings (chat: a
 * system or developer message after the leading ones; responses: appended to `instructions`),
 * `stream_options.include_usage` on chat streams, and a clamped output maximum. Works on the
 * serialized text so the caller's body object is neither changed nor replaced (the SDK tracks it by
 * identity). Returns the body unchanged when there is nothing to do or it is not JSON.
 *
 * @example
 * request.body = rewriteRequestBody(request.body, call)
 */
export function rewriteRequestBody(body: string, call: BudgetedCall): string {
  if (!rewritesRequestBody(call)) return body
  let json: Record<string, any>
  try {
    json = JSON.parse(body)
  } catch {
    return body
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return body
  if (call.model !== undefined) json.model = call.model
  if (call.messages !== undefined && Array.isArray(json.messages))
    json.messages = structuredClone(call.messages)
  if (call.warnings.length > 0) {
    const text = call.warnings.join('\n')
    if (call.endpoint === 'chat') injectChatWarning(json, text)
    else if (call.endpoint === 'responses') injectResponsesWarning(json, text)
  }
  if (call.maxOutput !== undefined) json[call.maxOutput.field] = call.maxOutput.value
  if (call.addsUsageChunk) json.stream_options = { ...json.stream_options, include_usage: true }
  return JSON.stringify(json)
}

/**
 * True when {@link rewriteRequestBody} has something to change for the call.
 *
 * @example
 * if (rewritesRequestBody(call)) request.body = rewriteRequestBody(request.body, call)
 */
export function rewritesRequestBody(call: BudgetedCall): boolean {
  return (
    call.warnings.length > 0 ||
    call.maxOutput !== undefined ||
    call.addsUsageChunk ||
    call.model !== undefined ||
    call.messages !== undefined
  )
}

const leadingRoles = new Set(['system', 'developer'])

function injectChatWarning(json: Record<string, any>, text: string): void {
  if (!Array.isArray(json.messages)) return
  const messages: any[] = json.messages
  let index = 0
  while (index < messages.length && leadingRoles.has(messages[index]?.role)) index++
  const role = messages.slice(0, index).some((message) => message.role === 'developer')
    ? 'developer'
    : 'system'
  messages.splice(index, 0, { role, content: text })
}

function injectResponsesWarning(json: Record<string, any>, text: string): void {
  if (typeof json.instructions === 'string' && json.instructions.length > 0) {
    json.instructions = `${json.instructions}\n\n${text}`
    return
  }
  if (json.instructions == null || json.instructions === '') {
    json.instructions = text
    return
  }
  // Instructions in another shape: add a developer item in front of the input instead.
  const item = { type: 'message', role: 'developer', content: text }
  json.input = Array.isArray(json.input)
    ? [item, ...json.input]
    : json.input == null
      ? [item]
      : [item, { type: 'message', role: 'user', content: json.input }]
}
