import type OpenAI from 'openai'
import type { Stream } from 'openai/streaming'

/**
 * Wraps the stream a caller receives, keeping its class (`instanceof Stream`), `controller`, `tee()` and
 * `toReadableStream()`: when the stream ends (finished, `break`, cut or aborted), the call is settled
 * before the caller's loop goes on, and the usage-only chunk the wrapper asked for is hidden from a
 * caller who did not ask for it.
 *
 * @example
 * return budgetedStream(stream, { client, settled, hideUsageChunk: call.addsUsageChunk })
 */
export function budgetedStream<Item>(
  stream: Stream<Item>,
  { client, settled, hideUsageChunk }: { client: OpenAI; settled: Promise<void>; hideUsageChunk: boolean },
): Stream<Item> {
  const StreamClass = stream.constructor as typeof Stream
  const iterator = (): AsyncIterator<Item> => {
    const source = stream[Symbol.asyncIterator]()
    return {
      async next() {
        try {
          for (;;) {
            const result = await source.next()
            if (result.done) {
              await settled
              return result
            }
            if (hideUsageChunk && isUsageOnlyChunk(result.value)) continue
            return result
          }
        } catch (error) {
          await settled
          throw error
        }
      },
      async return(value?: unknown) {
        const result = (await source.return?.(value)) ?? { done: true as const, value: undefined }
        await settled
        return result
      },
    }
  }
  return new StreamClass<Item>(iterator, stream.controller, client)
}

/** The chunk `stream_options.include_usage` adds at the end of a chat stream: usage and no choices. */
function isUsageOnlyChunk(value: unknown): boolean {
  const chunk = value as { choices?: unknown; usage?: unknown } | null
  return (
    chunk !== null &&
    typeof chunk === 'object' &&
    Array.isArray(chunk.choices) &&
    chunk.choices.length === 0 &&
    chunk.usage != null
  )
}
