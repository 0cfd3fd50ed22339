import type { LanguageModelV4StreamPart, LanguageModelV4Usage } from '@ai-sdk/provider'
import type { TokenEstimator, TokenUsage } from '@tokenwarden/core'
import { budgetExceededFinishReason } from './budget-exceeded-result.ts'
import { OutputCounter } from './output-counter.ts'
import { toModelUsage, toTokenUsage } from './to-token-usage.ts'

/** Options of {@link meterStream}. */
export interface MeterStreamOptions {
  estimator: TokenEstimator
  /** The call's estimated input tokens (used when the provider reports none). */
  inputTokens: number
  /** End the stream gracefully once the estimated output passes this many tokens. */
  stopAfterOutputTokens?: number
  /** The caller's abort signal: an abort settles what was produced so far. */
  abortSignal?: AbortSignal
  /** Called exactly once: with the provider's usage on `finish`, else with an estimate. */
  settle: (usage: TokenUsage) => Promise<unknown>
}

/**
 * Passes a model stream through and settles its usage exactly once: from the final `finish` part, or,
 * when the stream errors, ends without one, is cancelled or is aborted, from an estimate of the input and
 * of the deltas produced so far. Optionally stops the stream (closing open parts, finish reason
 * `length`) when its running output passes a limit.
 *
 * @example
 * const stream = meterStream(result.stream, { estimator, inputTokens: 1200, settle: (usage) => reservation.settle(usage) })
 */
export function meterStream(
  stream: ReadableStream<LanguageModelV4StreamPart>,
  { estimator, inputTokens, stopAfterOutputTokens, abortSignal, settle }: MeterStreamOptions,
): ReadableStream<LanguageModelV4StreamPart> {
  const reader = stream.getReader()
  const output = new OutputCounter(estimator)
  const streamedToolInputs = new Set<string>()
  const openParts = new Map<string, 'text-end' | 'reasoning-end'>()
  let settled: Promise<unknown> | undefined

  const finalize = (usage: LanguageModelV4Usage | undefined): Promise<unknown> => {
    if (settled === undefined) {
      abortSignal?.removeEventListener('abort', onAbort)
      settled = settle(toTokenUsage(usage, { inputTokens, outputTokens: output.tokens }))
    }
    return settled
  }
  const onAbort = () => {
    finalize(undefined).catch(() => {}) // a failure surfaces through the stream's own settle
  }
  if (abortSignal?.aborted) onAbort()
  else abortSignal?.addEventListener('abort', onAbort, { once: true })

  return new ReadableStream<LanguageModelV4StreamPart>({
    async pull(controller) {
      let next: Awaited<ReturnType<typeof reader.read>>
      try {
        next = await reader.read()
      } catch (error) {
        await finalize(undefined).catch(() => {})
        controller.error(error)
        return
      }
      try {
        if (next.done) {
          await finalize(undefined)
          controller.close()
          return
        }
        const part = next.value
        track(part)
        if (part.type === 'finish') await finalize(part.usage)
        controller.enqueue(part)
        if (
          stopAfterOutputTokens !== undefined &&
          settled === undefined &&
          output.tokens > stopAfterOutputTokens
        ) {
          for (const [id, type] of openParts) controller.enqueue({ type, id })
          const usage = { inputTokens, outputTokens: output.tokens }
          controller.enqueue({
            type: 'finish',
            usage: toModelUsage(usage),
            finishReason: { unified: 'length', raw: budgetExceededFinishReason },
          })
          controller.close()
          await Promise.all([reader.cancel().catch(() => {}), finalize(undefined)])
        }
      } catch (error) {
        controller.error(error)
        await reader.cancel(error).catch(() => {})
      }
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => {})
      await finalize(undefined)
    },
  })

  function track(part: LanguageModelV4StreamPart): void {
    switch (part.type) {
      case 'text-start':
        openParts.set(part.id, 'text-end')
        break
      case 'reasoning-start':
        openParts.set(part.id, 'reasoning-end')
        break
      case 'text-end':
      case 'reasoning-end':
        openParts.delete(part.id)
        break
      case 'text-delta':
      case 'reasoning-delta':
        output.add(part.delta)
        break
      case 'tool-input-delta':
        streamedToolInputs.add(part.id)
        output.add(part.delta)
        break
      case 'tool-call':
        if (!streamedToolInputs.has(part.toolCallId)) output.add(`${part.toolName}${part.input}`)
        break
    }
  }
}
