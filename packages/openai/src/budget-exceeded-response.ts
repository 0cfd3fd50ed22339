import { exceededResponse, type ServerSentEvent } from '@tokenwarden/core/adapter'
import type { Endpoint } from './to-call-input.ts'

/**
 * The `id` of an answer made by the budget (`onExceeded: 'finish'`): no model was called.
 *
 * @example
 * if (completion.id === budgetExceededId) console.log('out of budget:', completion.choices[0]?.message.content)
 */
export const budgetExceededId = 'tokenwarden-budget-exceeded'

/**
 * The HTTP response a refused call gets with `onExceeded: 'finish'` (no request is sent): an answer
 * whose text is `text`, zero usage, as JSON or as the server-sent events of a stream, so `create`,
 * `.parse`, `.stream`, `runTools` and `responses.stream` all see a well-formed result. A request for
 * structured output gets the text as the model's `refusal` (nothing to parse). Its `id` is
 * {@link budgetExceededId}. `undefined` for embeddings and bodies that are not JSON.
 *
 * @example
 * const response = budgetExceededResponse('chat', request.body, error.message)
 */
export function budgetExceededResponse(endpoint: Endpoint, serialized: unknown, text: string) {
  let body: Record<string, any>
  try {
    body = JSON.parse(String(serialized))
  } catch {
    return undefined
  }
  if (endpoint === 'embeddings' || body === null || typeof body !== 'object') return undefined
  const created = Math.floor(Date.now() / 1000)
  const id = budgetExceededId
  const model = body.model
  const stream = body.stream === true
  if (endpoint === 'chat') {
    const refusal = body.response_format?.type === 'json_schema'
    const message = refusal ? { refusal: text, content: null } : { content: text, refusal: null }
    const usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
    if (!stream) {
      const choice = {
        index: 0,
        message: { role: 'assistant', ...message },
        finish_reason: 'stop',
        logprobs: null,
      }
      return exceededResponse({
        json: { id, object: 'chat.completion', created, model, choices: [choice], usage },
      })
    }
    const chunk = (choices: object[], extra: object = {}): ServerSentEvent => ({
      data: { id, object: 'chat.completion.chunk', created, model, choices, ...extra },
    })
    const delta = refusal ? { role: 'assistant', refusal: text } : { role: 'assistant', content: text }
    const events = [
      chunk([{ index: 0, delta, finish_reason: null, logprobs: null }]),
      chunk([{ index: 0, delta: {}, finish_reason: 'stop', logprobs: null }]),
    ]
    if (body.stream_options?.include_usage === true) events.push(chunk([], { usage }))
    return exceededResponse({ events: [...events, { data: '[DONE]' }] })
  }
  const refusal = body.text?.format?.type === 'json_schema'
  const kind = refusal ? 'refusal' : 'output_text'
  const part = (value: string) =>
    refusal ? { type: 'refusal', refusal: value } : { type: 'output_text', text: value, annotations: [] }
  const item = (status: string, content: object[]) => ({
    type: 'message',
    id: `msg_${id}`,
    status,
    role: 'assistant',
    content,
  })
  const response = (status: string, output: object[]) => ({
    id,
    object: 'response',
    created_at: created,
    status,
    model,
    output,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    metadata: {},
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    usage: {
      input_tokens: 0,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 0,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 0,
    },
  })
  const done = response('completed', [item('completed', [part(text)])])
  if (!stream) return exceededResponse({ json: done })
  const at = { item_id: `msg_${id}`, output_index: 0, content_index: 0 }
  const events: [string, object][] = [
    ['response.created', { response: response('in_progress', []) }],
    ['response.output_item.added', { output_index: 0, item: item('in_progress', []) }],
    ['response.content_part.added', { ...at, part: part('') }],
    [`response.${kind}.delta`, { ...at, delta: text }],
    [`response.${kind}.done`, { ...at, [refusal ? 'refusal' : 'text']: text }],
    ['response.content_part.done', { ...at, part: part(text) }],
    ['response.output_item.done', { output_index: 0, item: done.output[0]! }],
    ['response.completed', { response: done }],
  ]
  return exceededResponse({
    events: events.map(([type, payload], sequence) => ({
      event: type,
      data: { type, sequence_number: sequence, ...payload },
    })),
  })
}
