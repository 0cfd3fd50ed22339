import { exceededResponse } from '@tokenwarden/core/adapter'

/**
 * The `id` of the message a refused call answers with under `onExceeded: 'finish'` (its `stop_reason` is
 * `end_turn`, so tool loops end; its usage is 0: nothing was sent).
 *
 * @example
 * if (message.id === budgetExceededMessageId) console.log('out of budget:', message.content)
 */
export const budgetExceededMessageId = 'msg_tokenwarden-budget-exceeded'

/**
 * The HTTP response a refused call gets under `onExceeded: 'finish'` (core's `exceededResponse`, never
 * sent for): a Messages API body with the explanatory text, or, for a streaming call, the event stream
 * of that message, so the SDK parses it like any other response (`messages.stream()` and its events).
 *
 * @example
 * const response = budgetExceededResponse({ model: 'claude-sonnet-4-5', text: error.message, stream: false })
 */
export function budgetExceededResponse(answer: { model: unknown; text: string; stream: boolean }): Response {
  const { model, text } = answer
  const usage = {
    input_tokens: 0,
    output_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  }
  const message = {
    id: budgetExceededMessageId,
    type: 'message',
    role: 'assistant',
    model: typeof model === 'string' ? model : 'unknown',
    content: [{ type: 'text', text, citations: null }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    container: null,
    usage,
  }
  if (!answer.stream) return exceededResponse({ json: message })
  const event = (type: string, payload: object) => ({ event: type, data: { type, ...payload } })
  return exceededResponse({
    events: [
      event('message_start', { message: { ...message, content: [], stop_reason: null } }),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '', citations: null } }),
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
      event('content_block_stop', { index: 0 }),
      event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage }),
      event('message_stop', {}),
    ],
  })
}
