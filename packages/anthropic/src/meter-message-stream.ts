import type { Stream } from '@anthropic-ai/sdk/core/streaming'
import { type BudgetCall, meterClientStream } from '@tokenwarden/core/adapter'
import { reportedUsage } from './reported-usage.ts'

/** The fields of a Messages API stream event that the meter reads. */
export interface MessageEvent {
  type?: string
  message?: { usage?: Record<string, unknown> | null }
  usage?: Record<string, unknown> | null
  delta?: { text?: unknown; partial_json?: unknown; thinking?: unknown }
}

/**
 * Meters a Messages API event stream in place (core's `meterClientStream`: nothing buffered, the call
 * settled before the caller's loop goes on) and settles its call once: with the usage of
 * `message_start` (input, cache reads and writes) and the cumulative `message_delta` (output) when the
 * stream ends, or, when it is left with `break`, aborted, cut or errors, with what arrived (the output
 * not yet reported is estimated from the text, JSON and thinking deltas counted).
 *
 * @example
 * meterMessageStream(stream, call)
 */
export function meterMessageStream(stream: Stream<MessageEvent>, call: BudgetCall): void {
  let usage: Record<string, unknown> | undefined
  const observe = (event: MessageEvent) => {
    if (event?.type === 'content_block_delta') {
      const text = event.delta?.text ?? event.delta?.partial_json ?? event.delta?.thinking
      if (typeof text === 'string') call.countOutput(text)
    } else if (event?.type === 'message_start') {
      const { output_tokens: _, ...input } = event.message?.usage ?? {} // not yet the output
      usage = input
    } else if (event?.type === 'message_delta') {
      const next = { ...usage }
      for (const [field, value] of Object.entries(event.usage ?? {})) if (value != null) next[field] = value
      usage = next
    }
  }
  meterClientStream(stream, call, observe, () => call.finish(reportedUsage(usage)))
}
