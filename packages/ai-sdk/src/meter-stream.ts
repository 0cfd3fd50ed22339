import type { LanguageModelV4StreamPart } from '@ai-sdk/provider'
import type { BudgetCall } from '@tokenwarden/core/adapter'
import { budgetExceededFinishReason } from './budget-exceeded-result.ts'
import { reportedUsage, toModelUsage } from './to-token-usage.ts'

/** Options of {@link meterStream}. */
export interface MeterStreamOptions {
  /** The caller's abort signal: an abort finishes the call from what was produced so far. */
  abortSignal: AbortSignal | undefined
}

/**
 * Passes a model stream through and closes its call exactly once: with the usage of the final `finish`
 * part, or, when the stream errors, ends without one, is cancelled or aborted, from the estimate of the
 * input and of the deltas counted so far. A read in flight keeps the call alive (however long the
 * provider takes) and each part read counts as progress, so only a stream nobody reads stalls; a
 * stalled call cancels the provider's stream. A call started with `stopAtReservation` ends the stream
 * gracefully (finish reason `length`) once its counted output passes the reservation (`call.shouldStop`).
 *
 * @example
 * const stream = meterStream(result.stream, call, { abortSignal })
 */
export function meterStream(
  stream: ReadableStream<LanguageModelV4StreamPart>,
  call: BudgetCall,
  { abortSignal }: MeterStreamOptions,
): { stream: ReadableStream<LanguageModelV4StreamPart>; onStall: () => void } {
  const reader = stream.getReader()
  const streamedToolInputs = new Set<string>()
  const openParts = new Map<string, 'text-end' | 'reasoning-end'>()
  let responseId: string | undefined // a later call that continues this response is floored by it
  const finish = (usage?: Parameters<typeof reportedUsage>[0]) => {
    abortSignal?.removeEventListener('abort', onAbort)
    return call.finish(reportedUsage(usage), { conversation: responseId })
  }
  const onAbort = () => {
    finish().catch(() => {}) // a failure surfaces through the stream's own finish
  }
  if (abortSignal?.aborted) onAbort()
  else abortSignal?.addEventListener('abort', onAbort, { once: true })

  const metered = new ReadableStream<LanguageModelV4StreamPart>({
    async pull(controller) {
      // A read in flight waits for the provider (kept alive); a stream nobody pulls makes no progress.
      call.markSent()
      let next: Awaited<ReturnType<typeof reader.read>>
      try {
        next = await reader.read()
        call.progress()
      } catch (error) {
        await finish().catch(() => {})
        controller.error(error)
        return
      }
      try {
        if (next.done) {
          await finish()
          controller.close()
          return
        }
        const part = next.value
        track(part)
        if (part.type === 'finish') await finish(part.usage)
        controller.enqueue(part)
        if (call.shouldStop) {
          for (const [id, type] of openParts) controller.enqueue({ type, id })
          controller.enqueue({
            type: 'finish',
            usage: toModelUsage({ inputTokens: call.inputTokens, outputTokens: call.outputTokens }),
            finishReason: { unified: 'length', raw: budgetExceededFinishReason },
          })
          controller.close()
          await Promise.all([reader.cancel().catch(() => {}), finish()])
        }
      } catch (error) {
        controller.error(error)
        await reader.cancel(error).catch(() => {})
      }
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => {})
      await finish()
    },
  })
  return {
    stream: metered,
    onStall: () => {
      abortSignal?.removeEventListener('abort', onAbort)
      reader.cancel().catch(() => {})
    },
  }

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
        call.countOutput(part.delta)
        break
      case 'tool-input-delta':
        streamedToolInputs.add(part.id)
        call.countOutput(part.delta)
        break
      case 'tool-call':
        if (!streamedToolInputs.has(part.toolCallId)) call.countOutput(`${part.toolName}${part.input}`)
        break
      case 'response-metadata':
        if (typeof part.id === 'string') responseId = part.id
        break
    }
  }
}
