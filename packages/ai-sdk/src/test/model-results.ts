import type {
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
} from '@ai-sdk/provider'
import type { Budget, BudgetContext, BudgetEvents } from '@tokenwarden/core'

/** Usage as a provider reports it, OpenAI-style (input includes cached, output includes reasoning). */
export interface ReportedUsage {
  input: number
  output: number
  cached?: number
  reasoning?: number
}

/** The nested V4 usage of a reported usage. */
export function modelUsage({ input, output, cached, reasoning }: ReportedUsage): LanguageModelV4Usage {
  return {
    inputTokens: { total: input, noCache: input - (cached ?? 0), cacheRead: cached, cacheWrite: undefined },
    outputTokens: { total: output, text: output - (reasoning ?? 0), reasoning },
  }
}

/** A V4 usage that reports nothing. */
export const unreportedUsage: LanguageModelV4Usage = {
  inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: undefined, text: undefined, reasoning: undefined },
}

/** A `doGenerate` result with text. */
export function textResult(
  text: string,
  usage: ReportedUsage | LanguageModelV4Usage = { input: 10, output: 5 },
): LanguageModelV4GenerateResult {
  return {
    content: [{ type: 'text', text }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: 'inputTokens' in usage ? usage : modelUsage(usage),
    warnings: [],
  }
}

/** A `doGenerate` result that calls one tool. */
export function toolCallResult(
  toolName: string,
  input: unknown,
  usage: ReportedUsage = { input: 10, output: 5 },
  toolCallId = 'call-1',
): LanguageModelV4GenerateResult {
  return {
    content: [{ type: 'tool-call', toolCallId, toolName, input: JSON.stringify(input) }],
    finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
    usage: modelUsage(usage),
    warnings: [],
  }
}

/** The stream parts of a text answer split into deltas, ending with `finish` (unless `usage` is null). */
export function textParts(deltas: string[], usage: ReportedUsage | null = { input: 10, output: 5 }) {
  const parts: LanguageModelV4StreamPart[] = [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id: 't1' },
    ...deltas.map((delta) => ({ type: 'text-delta' as const, id: 't1', delta })),
    { type: 'text-end', id: 't1' },
  ]
  if (usage !== null)
    parts.push({ type: 'finish', usage: modelUsage(usage), finishReason: { unified: 'stop', raw: 'stop' } })
  return parts
}

/** A stream result that emits `parts`, then errors with `error` (when given) or closes. */
export function streamResult(
  parts: LanguageModelV4StreamPart[],
  error?: unknown,
): LanguageModelV4StreamResult {
  let index = 0
  return {
    // Pull-based: an error raised in start() would discard the parts still queued.
    stream: new ReadableStream({
      pull(controller) {
        if (index < parts.length) controller.enqueue(parts[index++]!)
        else if (error === undefined) controller.close()
        else controller.error(error)
      },
    }),
  }
}

/**
 * A stream result that emits `parts` and then hangs until the call's abort signal fires (or the reader
 * cancels); `cancelled` resolves when the model's stream was cancelled or aborted.
 */
export function hangingStreamResult(parts: LanguageModelV4StreamPart[], abortSignal?: AbortSignal) {
  let markCancelled!: () => void
  const cancelled = new Promise<void>((resolve) => {
    markCancelled = resolve
  })
  const stream = new ReadableStream<LanguageModelV4StreamPart>({
    start(controller) {
      for (const part of parts) controller.enqueue(part)
      abortSignal?.addEventListener('abort', () => {
        markCancelled()
        controller.error(abortSignal.reason)
      })
    },
    cancel() {
      markCancelled()
    },
  })
  return { result: { stream } satisfies LanguageModelV4StreamResult, cancelled }
}

/** Records the budget's `settled` events. */
export function recordSettlements(budget: Budget) {
  const settled: BudgetEvents['settled'][] = []
  budget.on('settled', (event) => settled.push(event))
  return settled
}

/** The total reserved on every limit of a context (0 when nothing is held). */
export async function reservedOf(budget: Budget, context: BudgetContext): Promise<number> {
  const statuses = await budget.status(context)
  return statuses.reduce((sum, status) => sum + status.reserved, 0)
}

/** Settled usage of one unit on the first limit of a context. */
export async function usedOf(budget: Budget, context: BudgetContext, unit = 'tokens'): Promise<number> {
  const statuses = await budget.status(context)
  return statuses.find((status) => status.unit === unit)?.used ?? 0
}
