import { exceededResponse } from '@tokenwarden/core/adapter'
import type { RequestOptions, ResponseProps } from './budgeted-client-class.ts'

/**
 * The `id` of the message a refused call answers with under `onExceeded: 'finish'` (its `stop_reason` is
 * `end_turn`, so tool loops end; its usage is 0: nothing was sent).
 *
 * @example
 * if (message.id === budgetExceededMessageId) console.log('out of budget:', message.content)
 */
export const budgetExceededMessageId = 'msg_tokenwarden-budget-exceeded'

/**
 * The response a refused request gets under `onExceeded: 'finish'` (core's `exceededResponse`, never
 * sent for), as the props the SDK parses like any other: a message with the explanatory text, or, for a
 * streaming call, the event stream of that message (`messages.stream()` and its events included).
 *
 * @example
 * state.refused = budgetExceededProps(options, exceededText(error))
 */
export function budgetExceededProps(options: RequestOptions, text: string): ResponseProps {
  const body = options.body as { model?: unknown }
  const model = typeof body.model === 'string' ? body.model : 'unknown'
  const usage = {
    input_tokens: 0,
    output_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  }
  const content = [{ type: 'text', text, citations: null }]
  const message = { id: budgetExceededMessageId, type: 'message', role: 'assistant', model, content }
  const end = { stop_reason: 'end_turn', stop_sequence: null }
  const event = (type: string, payload: object) => ({ event: type, data: { type, ...payload } })
  const events = [
    event('message_start', {
      message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage },
    }),
    event('content_block_start', { index: 0, content_block: { ...content[0], text: '' } }),
    event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
    event('content_block_stop', { index: 0 }),
    event('message_delta', { delta: end, usage }),
    event('message_stop', {}),
  ]
  const response = exceededResponse(
    options.stream === true ? { events } : { json: { ...message, ...end, container: null, usage } },
  )
  const props = { options, response, controller: new AbortController(), startTime: Date.now() }
  return Object.assign(props, { requestLogID: 'tokenwarden-budget-exceeded', retryOfRequestLogID: undefined })
}
