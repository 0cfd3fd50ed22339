import type Anthropic from '@anthropic-ai/sdk'
import type { Stream } from '@anthropic-ai/sdk/core/streaming'
import type { BudgetCall } from '@tokenwarden/core/adapter'
import { reportedUsage } from './reported-usage.ts'

/** Options of {@link meterMessageStream}. */
export interface MeterMessageStreamOptions {
  /** The client the stream belongs to (the SDK's `Stream` keeps it for `tee()`). */
  client: Anthropic
  /** End the stream (abort the request) once the counted output passes the reservation. */
  stopAtReservation: boolean
}

/**
 * Passes a Messages API event stream through, event by event (nothing buffered), keeping its class
 * (`instanceof Stream`), `controller`, `tee()` and `toReadableStream()`, and closes its call exactly
 * once: with the usage of `message_start` (input, cache reads and writes) and the cumulative
 * `message_delta` (output) when the stream ends, or, when it is left with `break`, aborted, cut or
 * errors, with what arrived (the output not yet reported is estimated from the deltas counted). The
 * call is settled before the caller's loop goes on. A read in flight keeps the call alive; each event
 * counts as progress.
 *
 * @example
 * return meterMessageStream(stream, call, { client, stopAtReservation: false })
 */
export function meterMessageStream<Item>(
  stream: Stream<Item>,
  call: BudgetCall,
  { client, stopAtReservation }: MeterMessageStreamOptions,
): Stream<Item> {
  const controller = stream.controller
  const settlement = settleOnAbort(call, controller.signal)
  const { finish } = settlement
  const iterator = (): AsyncIterator<Item> => {
    const source = stream[Symbol.asyncIterator]()
    return {
      async next() {
        call.markSent() // a read in flight waits for the provider
        let result: IteratorResult<Item>
        try {
          result = await source.next()
        } catch (error) {
          await finish().catch(() => {}) // the stream's own error is the one the caller sees
          throw error
        }
        if (result.done) {
          await finish()
          return result
        }
        settlement.usage = observe(result.value as MessageEvent, call, settlement.usage)
        if (stopAtReservation && call.overReservation) {
          controller.abort()
          await finish()
          await source.return?.()
        }
        return result
      },
      async return(value?: unknown) {
        const result = (await source.return?.(value)) ?? { done: true as const, value: undefined }
        await finish()
        return result
      },
    }
  }
  const StreamClass = stream.constructor as typeof Stream
  return new StreamClass<Item>(iterator, controller, client)
}

/**
 * The stream's usage so far and its `finish`, which also runs when the request is aborted (settled even if
 * nobody reads on; a failure surfaces through the reader's own finish). Made apart from the stream: the
 * abort listener lives as long as the SDK's controller, which the SDK holds until the response body is
 * collected (its backstop for abandoned streams), so it must not reach the stream.
 */
function settleOnAbort(call: BudgetCall, signal: AbortSignal) {
  const settlement = {
    usage: undefined as Record<string, unknown> | undefined,
    finish: () => {
      signal.removeEventListener('abort', onAbort)
      return call.finish(reportedUsage(settlement.usage))
    },
  }
  const onAbort = () => {
    settlement.finish().catch(() => {})
  }
  signal.addEventListener('abort', onAbort, { once: true })
  return settlement
}

interface MessageEvent {
  type?: string
  message?: { usage?: Record<string, unknown> | null }
  usage?: Record<string, unknown> | null
  delta?: { type?: string; text?: unknown; partial_json?: unknown; thinking?: unknown }
}

/** Counts an event's output and returns the usage known so far (input from `message_start`, output from `message_delta`). */
function observe(
  event: MessageEvent,
  call: BudgetCall,
  usage: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  switch (event?.type) {
    case 'message_start': {
      const { output_tokens: _, ...input } = event.message?.usage ?? {} // not yet the output
      call.progress()
      return input
    }
    case 'content_block_delta': {
      const delta = event.delta
      const text = delta?.text ?? delta?.partial_json ?? delta?.thinking
      if (typeof text === 'string') call.countOutput(text)
      else call.progress()
      return usage
    }
    case 'message_delta': {
      call.progress()
      const next = { ...usage }
      for (const [field, value] of Object.entries(event.usage ?? {})) if (value != null) next[field] = value
      return next
    }
    default:
      call.progress()
      return usage
  }
}
