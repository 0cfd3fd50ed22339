import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import type { ResolvedAdapterOptions } from './budget-adapter-options.ts'

/**
 * The text a refused call answers with under `onExceeded: 'finish'` (`exceededText(error)`), or
 * `undefined` when `error` is to be thrown: another error, or `onExceeded: 'throw'`.
 *
 * @example
 * import { exceededAnswer } from '@tokenwarden/core/adapter'
 * const text = exceededAnswer(options, error)
 * if (text === undefined) throw error
 * return messageOf(text) // the framework's own answer shape, zero usage
 */
export function exceededAnswer(
  options: Pick<ResolvedAdapterOptions, 'onExceeded' | 'exceededText'>,
  error: unknown,
): string | undefined {
  return options.onExceeded === 'finish' && BudgetExceededError.isInstance(error)
    ? options.exceededText(error)
    : undefined
}

/**
 * One server-sent event of an {@link exceededResponse}: `data` is written as JSON (a string as it
 * is, e.g. `[DONE]`), after an `event:` line when `event` is set.
 *
 * @example
 * const events: ServerSentEvent[] = [{ event: 'message_stop', data: { type: 'message_stop' } }, { data: '[DONE]' }]
 */
export interface ServerSentEvent {
  event?: string
  data: unknown
}

/**
 * The HTTP response of a call the budget refused under `onExceeded: 'finish'`, made here, never sent
 * for, for an HTTP client to parse like any answer of its API: the `json` body, or the `events` of a
 * stream (`text/event-stream`). The adapter gives the API's own shapes (the text, zero usage).
 *
 * @example
 * import { exceededResponse } from '@tokenwarden/core/adapter'
 * return stream ? exceededResponse({ events }) : exceededResponse({ json: message })
 */
export function exceededResponse(
  answer: { json: object } | { events: readonly ServerSentEvent[] },
): Response {
  if ('json' in answer)
    return new Response(JSON.stringify(answer.json), { headers: { 'content-type': 'application/json' } })
  let text = ''
  for (const { event, data } of answer.events) {
    if (event !== undefined) text += `event: ${event}\n`
    text += `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`
  }
  return new Response(text, { headers: { 'content-type': 'text/event-stream' } })
}
