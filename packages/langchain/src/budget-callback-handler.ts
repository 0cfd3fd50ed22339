import { BaseCallbackHandler, type HandleLLMNewTokenCallbackFields } from '@langchain/core/callbacks/base'
import type { Serialized } from '@langchain/core/load/serializable'
import type { BaseMessage } from '@langchain/core/messages'
import type { LLMResult } from '@langchain/core/outputs'
import {
  type Budget,
  type BudgetContext,
  type Reservation,
  ReservationOverrunError,
  type TokenUsage,
} from '@tokenwarden/core'
import { sanitizeUsage } from '@tokenwarden/core/adapter'
import { estimateMessageTokens, messageText } from './estimate-message-tokens.ts'
import {
  assertBudget,
  assertOptionalTokens,
  callModelName,
  readMaxOutputTokens,
} from './read-call-options.ts'
import { resolveRunContext } from './resolve-run-context.ts'
import { StreamedOutputCounter } from './streamed-output-counter.ts'
import { reportedLegacyUsage, reportedUsageOfMessage } from './token-usage-from-message.ts'

/** Options of {@link BudgetCallbackHandler}. */
export interface BudgetCallbackHandlerOptions {
  budget: Budget
  /**
   * Who the calls are for. Each run may add or override scopes with `metadata.tokenwarden`; LangGraph's
   * `configurable.thread_id` becomes the `thread`.
   * @default {}
   */
  context?: BudgetContext
  /** The model name used for prices and `model` limits. @default the call's `model` invocation param */
  model?: string
  /** Output tokens reserved when the call sets no maximum. @default the budget's defaultMaxOutputTokens */
  maxOutputTokens?: number
  /**
   * Stop a stream whose output runs past its reservation (estimated as chunks arrive) by raising a
   * `ReservationOverrunError`; what streamed is settled. Only in `enforce` mode.
   * @default true
   */
  stopStreams?: boolean
}

const noExtraTexts: readonly string[] = []

interface RunState {
  reservation: Reservation
  /** The streamed output so far; made on the first chunk (most calls stream nothing). */
  output: StreamedOutputCounter | undefined
}

/**
 * A LangChain callback handler that enforces a budget around every chat model or LLM call it sees
 * (models, chains, graphs, agents): it reserves before the model runs and raises `BudgetExceededError`
 * instead of calling the model when the budget cannot afford the call, settles the reported usage
 * (`usage_metadata`, else `llmOutput.tokenUsage`, else an estimate marked as such), releases or settles
 * the streamed part when a call fails, and can stop a stream that runs past its reservation. Callbacks
 * cannot change messages, so it injects no warnings: they stay queued for `budget.takeWarnings` and are
 * emitted as `warning` events.
 *
 * @example
 * const handler = new BudgetCallbackHandler({ budget, context: { agent: 'researcher' } })
 * await model.invoke(messages, {
 *   callbacks: [handler],
 *   configurable: { thread_id: 't-1' },
 *   metadata: { tokenwarden: { user: 'u-42' } },
 * })
 */
export class BudgetCallbackHandler extends BaseCallbackHandler {
  name = 'TokenwardenBudgetCallbackHandler'
  readonly budget: Budget
  readonly context: BudgetContext
  private readonly model: string | undefined
  private readonly maxOutputTokens: number | undefined
  private readonly stopStreams: boolean
  private readonly runs = new Map<string, RunState>()

  constructor(options: BudgetCallbackHandlerOptions) {
    // Only a raising, awaited handler can refuse a call before the model runs.
    super({ raiseError: true, _awaitHandler: true })
    if (options === null || typeof options !== 'object') assertBudget(undefined, 'options')
    assertBudget(options.budget, 'options.budget')
    this.budget = options.budget
    this.context = resolveRunContext({
      base: undefined,
      threadId: undefined,
      overrides: options.context,
      field: 'options.context',
    })
    this.model = options.model
    assertOptionalTokens(options.maxOutputTokens, 'options.maxOutputTokens')
    this.maxOutputTokens = options.maxOutputTokens
    this.stopStreams = options.stopStreams ?? true
  }

  /** Calls that reserved budget and have not finished yet. */
  get openRuns(): number {
    return this.runs.size
  }

  override async handleChatModelStart(
    _llm: Serialized,
    messages: BaseMessage[][],
    runId: string,
    _parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): Promise<void> {
    const tools = (extraParams?.invocation_params as { tools?: unknown } | undefined)?.tools
    const extra = Array.isArray(tools) ? [JSON.stringify(tools)] : noExtraTexts
    const all = messages.length === 1 ? messages[0]! : messages.flat()
    const inputTokens = estimateMessageTokens(this.budget.estimator, all, extra)
    await this.start(runId, inputTokens, extraParams, metadata)
  }

  override async handleLLMStart(
    _llm: Serialized,
    prompts: string[],
    runId: string,
    _parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): Promise<void> {
    let inputTokens = 0
    for (const prompt of prompts) inputTokens += this.budget.estimator.count(prompt)
    await this.start(runId, inputTokens, extraParams, metadata)
  }

  override async handleLLMNewToken(
    token: string,
    _idx: unknown,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    fields?: HandleLLMNewTokenCallbackFields,
  ): Promise<void> {
    const run = this.runs.get(runId)
    if (run === undefined) return
    const chunks = (fields?.chunk as { message?: { tool_call_chunks?: { args?: unknown }[] } } | undefined)
      ?.message?.tool_call_chunks
    let text = token
    if (Array.isArray(chunks))
      for (const chunk of chunks) if (typeof chunk.args === 'string') text += chunk.args
    run.output ??= new StreamedOutputCounter(this.budget.estimator)
    run.output.add(text)
    const { reservation } = run
    if (!this.stopStreams || this.budget.mode !== 'enforce') return
    const streamed = run.output.tokens
    if (streamed <= reservation.maxOutputTokens) return
    throw new ReservationOverrunError({
      reservationId: reservation.id,
      reservedOutputTokens: reservation.maxOutputTokens,
      producedOutputTokens: streamed,
    })
  }

  override async handleLLMEnd(output: LLMResult, runId: string): Promise<void> {
    const run = this.runs.get(runId)
    if (run === undefined) return
    this.runs.delete(runId)
    try {
      await run.reservation.settle(this.usageOf(output, run))
    } catch (error) {
      await run.reservation.release() // returns the hold when settling failed
      throw error
    }
  }

  override async handleLLMError(_error: unknown, runId: string): Promise<void> {
    const run = this.runs.get(runId)
    if (run === undefined) return
    this.runs.delete(runId)
    if (run.output === undefined || run.output.chunks === 0) {
      await run.reservation.release()
      return
    }
    // Part of a stream arrived before the failure: the provider bills it, so count it as an estimate.
    try {
      await run.reservation.settle({
        inputTokens: run.reservation.inputTokens,
        outputTokens: run.output.tokens,
        estimated: true,
      })
    } finally {
      await run.reservation.release()
    }
  }

  private start(
    runId: string,
    inputTokens: number,
    extraParams: Record<string, unknown> | undefined,
    metadata: Record<string, unknown> | undefined,
  ): Promise<void> {
    const params = extraParams?.invocation_params as Record<string, unknown> | undefined
    const executionInfo = (extraParams?.options as { executionInfo?: { threadId?: unknown } } | undefined)
      ?.executionInfo
    const threadId = metadata?.thread_id ?? executionInfo?.threadId
    const overrides = metadata?.tokenwarden
    const context =
      threadId === undefined && overrides == null
        ? this.context // nothing to merge: the handler's own context, not a copy per call
        : resolveRunContext({ base: this.context, threadId, overrides, field: 'metadata.tokenwarden' })
    const model = this.model ?? callModelName(params, metadata)
    const maxOutputTokens = readMaxOutputTokens(params) ?? this.maxOutputTokens
    return this.budget.reserve(context, { model, inputTokens, maxOutputTokens }).then((reservation) => {
      this.runs.set(runId, { reservation, output: undefined })
    })
  }

  private usageOf(output: LLMResult, run: RunState): TokenUsage {
    const generations = output.generations.length === 1 ? output.generations[0]! : output.generations.flat()
    const estimate = () => {
      let text = ''
      for (const generation of generations) {
        const message = (generation as { message?: unknown }).message
        text += message === undefined ? generation.text : messageText(message as BaseMessage)
      }
      const streamed = run.output?.tokens ?? 0
      return {
        inputTokens: run.reservation.inputTokens,
        outputTokens: Math.max(streamed, this.budget.estimator.count(text)),
      }
    }
    for (const generation of generations) {
      const reported = reportedUsageOfMessage((generation as { message?: unknown }).message)
      if (reported !== undefined) return sanitizeUsage(reported, { estimate })
    }
    return sanitizeUsage(reportedLegacyUsage(output.llmOutput?.tokenUsage), { estimate })
  }
}
