import { type BudgetCall, meterClientStream } from '@tokenwarden/core/adapter'
import type { Stream } from 'openai/streaming'
import { reportedUsage } from './reported-usage.ts'
import type { Endpoint } from './to-call-input.ts'

/** Options of {@link meterStream}. */
export interface MeterStreamOptions {
  endpoint: Endpoint
  /** Skip the usage-only chat chunk the wrapper asked for (the caller did not). */
  hideUsageChunk: boolean
}

const finalEvents = new Set(['response.completed', 'response.incomplete', 'response.failed'])

/**
 * Meters an SDK `Stream` in place (core's `meterClientStream`: same object, nothing read ahead or
 * buffered, stopped at the reservation when the call says so): its text deltas count as output, and the
 * call finishes once with the usage the stream reports (chat: the usage chunk; responses:
 * `response.completed`, `.incomplete` or `.failed`), or from the estimate when the stream ends without
 * it, is left with `break`, aborted or cut. Returns what a stalled call does: abort the stream.
 *
 * @example
 * const onStall = meterStream(stream, call, { endpoint: 'chat', hideUsageChunk: true })
 */
export function meterStream(
  stream: Stream<unknown>,
  call: BudgetCall,
  { endpoint, hideUsageChunk }: MeterStreamOptions,
): () => void {
  let reported: unknown
  let responseId: string | undefined // a later call continuing this response is floored by it
  const count = (text: unknown) => {
    if (typeof text === 'string' && text.length > 0) call.countOutput(text)
  }
  /** Counts an item; true when the caller should not see it. */
  const observe = (item: any): boolean => {
    if (endpoint === 'chat') {
      if (item?.usage != null) reported = item.usage
      const choices = Array.isArray(item?.choices) ? item.choices : []
      for (const choice of choices) {
        const delta = choice?.delta
        count(delta?.content)
        count(delta?.refusal)
        if (Array.isArray(delta?.tool_calls)) {
          for (const tool of delta.tool_calls)
            count(`${tool?.function?.name ?? ''}${tool?.function?.arguments ?? ''}`)
        }
      }
      return hideUsageChunk && choices.length === 0 && item?.usage != null
    }
    const type = typeof item?.type === 'string' ? item.type : ''
    if (type.endsWith('.delta')) count(item.delta)
    if (typeof item?.response?.id === 'string') responseId = item.response.id
    if (finalEvents.has(type) && item.response?.usage != null) reported = item.response.usage
    return false
  }
  const settle = () => call.finish(reportedUsage(endpoint, reported), { conversation: responseId })
  return meterClientStream(stream, call, observe, settle)
}
