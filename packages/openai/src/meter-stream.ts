import type { BudgetCall } from '@tokenwarden/core/adapter'
import type { Stream } from 'openai/streaming'
import { reportedUsage } from './reported-usage.ts'
import type { Endpoint } from './to-call-input.ts'

/** Options of {@link meterStream}. */
export interface MeterStreamOptions {
  endpoint: Endpoint
  /** Skip the usage-only chat chunk the wrapper asked for (the caller did not). */
  hideUsageChunk: boolean
  /** End the stream once its counted output passes the reservation. */
  stopAtReservation: boolean
}

const finalEvents = new Set(['response.completed', 'response.incomplete', 'response.failed'])

/**
 * Meters an SDK `Stream` in place (same object, class, `controller`, `tee()` and `toReadableStream()`),
 * one item per read of the caller: nothing is read ahead or buffered. Each item counts as progress and
 * its text deltas as output; a read in flight keeps the call alive. The call finishes once: with the
 * usage the stream reports (chat: the usage chunk; responses: `response.completed`, `.incomplete` or
 * `.failed`), or from the estimate when the stream ends without it, is left with `break`, aborted or
 * cut. Returns what a stalled call does: abort the stream.
 *
 * @example
 * const onStall = meterStream(stream, call, { endpoint: 'chat', hideUsageChunk: true, stopAtReservation: false })
 */
export function meterStream(
  stream: Stream<unknown>,
  call: BudgetCall,
  { endpoint, hideUsageChunk, stopAtReservation }: MeterStreamOptions,
): () => void {
  const target = stream as unknown as { iterator: (this: unknown) => AsyncIterator<unknown> }
  const source = target.iterator
  const signal = stream.controller.signal
  let reported: unknown
  let responseId: string | undefined // a later call continuing this response is floored by it
  const finish = () => {
    signal.removeEventListener('abort', onAbort)
    return call.finish(reportedUsage(endpoint, reported), { conversation: responseId })
  }
  const onAbort = () => {
    finish().catch(() => {}) // a failure surfaces through the reader's own finish
  }
  signal.addEventListener('abort', onAbort, { once: true })

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
      call.progress()
      return hideUsageChunk && choices.length === 0 && item?.usage != null
    }
    const type = typeof item?.type === 'string' ? item.type : ''
    if (type.endsWith('.delta')) count(item.delta)
    if (typeof item?.response?.id === 'string') responseId = item.response.id
    if (finalEvents.has(type) && item.response?.usage != null) reported = item.response.usage
    call.progress()
    return false
  }
  const count = (text: unknown) => {
    if (typeof text === 'string' && text.length > 0) call.countOutput(text)
  }

  target.iterator = function (this: unknown) {
    const iterator = source.call(this)
    let ended = false // stopped at the reservation: the item that passed it was the last one
    const metered: AsyncIterator<unknown> & AsyncIterable<unknown> = {
      async next() {
        for (;;) {
          if (ended) return { done: true, value: undefined }
          call.markSent() // a read in flight waits for the provider
          let result: IteratorResult<unknown>
          try {
            result = await iterator.next()
          } catch (error) {
            await finish().catch(() => {})
            throw error
          }
          if (result.done) {
            await finish()
            return result
          }
          const hidden = observe(result.value)
          if (stopAtReservation && call.overReservation) {
            ended = true
            await iterator.return?.()
            await finish()
            if (!hidden) return result // the caller sees the output it is charged for
            continue
          }
          if (!hidden) return result
        }
      },
      async return(value?: unknown) {
        const result = await iterator.return?.(value)
        await finish()
        return result ?? { done: true, value }
      },
      [Symbol.asyncIterator]() {
        return metered
      },
    }
    return metered
  }
  return () => stream.controller.abort()
}
