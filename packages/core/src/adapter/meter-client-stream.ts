import type { BudgetCall } from './budget-call.ts'

/** What {@link meterClientStream} needs of a Stainless SDK `Stream`: its iterator factory and controller. */
interface ClientStream<Item> {
  iterator: (this: unknown) => AsyncIterator<Item>
  controller: AbortController
}

/**
 * Meters a Stainless SDK `Stream` (`openai`, `@anthropic-ai/sdk`) in place: the same object, class,
 * `controller`, `tee()` and `toReadableStream()`, one item per read of the caller (nothing read ahead or
 * buffered). A read in flight keeps the call alive and each item counts as progress; `observe` counts
 * an item's output (`call.countOutput`) and returns `true` to hide it from the caller. The call closes
 * once, with `settle()`, when the stream ends, errors (its own error is the one thrown), is left with
 * `break`, aborted or cut, or passes its reservation (`call.shouldStop`: the request is cancelled and the
 * item that passed it is the last one the caller sees). Returns what a stalled call does: abort.
 *
 * @example
 * import { meterClientStream } from '@tokenwarden/core/adapter'
 * let usage: unknown
 * const onStall = meterClientStream(stream, call, (event) => {
 *   if (event.usage) usage = event.usage
 *   if (typeof event.delta === 'string') call.countOutput(event.delta)
 * }, () => call.finish(reportedUsage(usage)))
 */
export function meterClientStream<Item>(
  stream: AsyncIterable<Item> & { controller: AbortController },
  call: BudgetCall,
  observe: (item: Item) => unknown,
  settle: () => Promise<unknown>,
): () => void {
  const target = stream as unknown as ClientStream<Item>
  const source = target.iterator
  const finish = settleOnAbort(target.controller.signal, settle)
  target.iterator = function (this: unknown) {
    const iterator = source.call(this)
    let ended = false // stopped at the reservation: the item that passed it was the last one
    const metered: AsyncIterator<Item> & AsyncIterable<Item> = {
      async next() {
        for (;;) {
          if (ended) return { done: true, value: undefined }
          call.markSent() // a read in flight waits for the provider
          let result: IteratorResult<Item>
          try {
            result = await iterator.next()
          } catch (error) {
            await finish().catch(ignore) // the stream's own error is the one the caller sees
            throw error
          }
          if (result.done) {
            await finish()
            return result
          }
          const hidden = observe(result.value) === true
          call.progress()
          if (call.shouldStop) {
            ended = true
            await iterator.return?.() // the SDK aborts the request
            await finish()
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
  return abortOf(target.controller)
}

/**
 * `settle` once: on the request's abort (even if nobody reads on; a failure surfaces through the
 * reader's own finish) or when the returned finish runs. Made apart from the stream: the listener lives
 * as long as the SDK's controller, which the SDK keeps until the response body is collected (its
 * backstop for abandoned streams), so it must not reach the stream.
 */
function settleOnAbort(signal: AbortSignal, settle: () => Promise<unknown>): () => Promise<unknown> {
  const finish = () => {
    signal.removeEventListener('abort', onAbort)
    return settle()
  }
  const onAbort = () => {
    finish().catch(ignore)
  }
  signal.addEventListener('abort', onAbort, { once: true })
  return finish
}

/**
 * Aborts the request, holding its controller weakly: the stall watch keeps this as long as the call is
 * open, and an SDK's own abort listeners may reach the response (openai's do), whose body must stay
 * collectable when nobody reads it (see `settleOnAbort`). A collected controller has nothing to abort.
 */
function abortOf(controller: AbortController): () => void {
  const ref = new WeakRef(controller)
  return () => ref.deref()?.abort()
}

function ignore(): void {}
