import { BaseCallbackHandler, type HandleLLMNewTokenCallbackFields } from '@langchain/core/callbacks/base'
import type { Serialized } from '@langchain/core/load/serializable'
import type { BaseMessage } from '@langchain/core/messages'
import type { LLMResult } from '@langchain/core/outputs'
import { type Budget, type BudgetContext, ReservationOverrunError } from '@tokenwarden/core'
import {
  type BudgetAdapterOptions,
  type BudgetCall,
  type CallInput,
  type ResolvedAdapterOptions,
  startBudgetCall,
  validateAdapterOptions,
} from '@tokenwarden/core/adapter'
import { callModelName, readMaxOutputTokens } from './read-call-options.ts'
import { reportedUsageOfMessage } from './reported-usage-of-message.ts'
import { metadataKey, resolveRunContext } from './resolve-run-context.ts'
import { messageText, toCallInput } from './to-call-input.ts'

/** Released calls kept for a late result, at most. */
const maxStalled = 1_000

/** Options of {@link BudgetCallbackHandler}. */
export interface BudgetCallbackHandlerOptions
  extends Pick<BudgetAdapterOptions, 'budget' | 'modelId' | 'defaultMaxOutputTokens'> {
  /**
   * Who the calls are for. A run adds or overrides scopes with `metadata: { tokenwarden: { … } }`;
   * LangGraph's thread id (`configurable.thread_id` of a graph or agent) becomes the `thread`.
   * @default {}
   */
  context?: BudgetContext
  /**
   * Stop a stream whose output runs past its reservation (estimated as chunks arrive) by raising a
   * `ReservationOverrunError` (ChatOpenAI stops; what streamed is settled).
   * @default false
   */
  stopStreamsAtReservation?: boolean
  /**
   * A call without progress for this long is closed: a stream left with `break` (LangChain then calls
   * neither end nor error) is settled from what streamed; a call another handler refused is released.
   * @default 60_000
   */
  stallMs?: number
}

/**
 * A LangChain callback handler that enforces a budget around every chat model or LLM call it sees
 * (models, chains, graphs, agents): it reserves before the model runs and raises `BudgetExceededError`
 * instead of calling the model when the budget cannot afford the call, counts streamed tokens, settles
 * the reported usage (`usage_metadata`, else `tokenUsage`, else an estimate marked as such) and releases
 * a call that failed before any output. Callbacks cannot change a call, so it shows no warnings: they
 * stay queued for `budget.takeWarnings` and are emitted as `warning` events.
 *
 * @example
 * const handler = new BudgetCallbackHandler({ budget, context: { agent: 'researcher' } })
 * await model.invoke(messages, { callbacks: [handler], metadata: { tokenwarden: { thread: 't-1', user: 'u-42' } } })
 */
export class BudgetCallbackHandler extends BaseCallbackHandler {
  name = 'TokenwardenBudgetCallbackHandler'
  readonly budget: Budget
  readonly context: BudgetContext
  private readonly options: ResolvedAdapterOptions
  private readonly runs = new Map<string, BudgetCall>()
  /** Calls the stall watch released before a token came, kept (bounded) for a result that comes late. */
  private readonly stalled = new Map<string, BudgetCall>()

  constructor(options: BudgetCallbackHandlerOptions) {
    // Only a raising, awaited handler can refuse a call before the model runs.
    super({ raiseError: true, _awaitHandler: true })
    this.options = validateAdapterOptions<BudgetContext>(options)
    this.budget = options.budget
    this.context = resolveRunContext({}, undefined, options.context, 'context')
  }

  /** Calls that reserved budget and have not closed yet. */
  get openRuns(): number {
    return this.runs.size
  }

  override handleChatModelStart(
    _llm: Serialized,
    messages: BaseMessage[][],
    runId: string,
    _parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): Promise<void> {
    const params = extraParams?.invocation_params as { tools?: unknown } | undefined
    const tools = Array.isArray(params?.tools) ? params.tools : undefined
    const input = toCallInput(messages.length === 1 ? messages[0]! : messages.flat(), tools)
    return this.start(runId, input, extraParams, metadata)
  }

  override handleLLMStart(
    _llm: Serialized,
    prompts: string[],
    runId: string,
    _parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): Promise<void> {
    return this.start(runId, { messages: prompts }, extraParams, metadata)
  }

  override async handleLLMNewToken(
    token: string,
    _idx: unknown,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    fields?: HandleLLMNewTokenCallbackFields,
  ): Promise<void> {
    const call = this.runs.get(runId)
    if (call === undefined) return
    call.markSent() // a token proves the request reached the provider
    const chunks = (fields?.chunk as { message?: { tool_call_chunks?: { args?: unknown }[] } } | undefined)
      ?.message?.tool_call_chunks
    let text = token
    if (Array.isArray(chunks))
      for (const chunk of chunks) if (typeof chunk.args === 'string') text += chunk.args
    call.countOutput(text)
    if (!this.options.stopStreamsAtReservation || !call.overReservation) return
    throw new ReservationOverrunError({
      reservationId: call.reservation.id,
      reservedOutputTokens: call.reservation.maxOutputTokens,
      producedOutputTokens: call.outputTokens,
    })
  }

  override async handleLLMEnd(output: LLMResult, runId: string): Promise<void> {
    const call = this.take(runId)
    if (call === undefined) return
    const generations = output.generations.length === 1 ? output.generations[0]! : output.generations.flat()
    const message = (generations[0] as { message?: unknown } | undefined)?.message
    try {
      await call.finish(reportedUsageOfMessage(message, output.llmOutput?.tokenUsage), {
        outputTokens: () => {
          let text = ''
          for (const generation of generations) {
            const generated = (generation as { message?: unknown }).message
            text += generated === undefined ? generation.text : messageText(generated)
          }
          return Math.max(call.outputTokens, this.budget.estimator.count(text))
        },
      })
    } catch (error) {
      await call.close() // the output estimate threw: the call is still open
      throw error
    }
  }

  override async handleLLMError(_error: unknown, runId: string): Promise<void> {
    const call = this.take(runId)
    if (call === undefined) return
    // Output streamed before the failure is billed by the provider: settled from the estimate.
    await (call.outputTokens > 0 ? call.finish() : call.fail())
  }

  private async start(
    runId: string,
    input: CallInput,
    extraParams: Record<string, unknown> | undefined,
    metadata: Record<string, unknown> | undefined,
  ): Promise<void> {
    const params = extraParams?.invocation_params
    const execution = (extraParams?.options as { executionInfo?: { threadId?: unknown } } | undefined)
      ?.executionInfo
    const { modelId, defaultMaxOutputTokens, stallMs } = this.options
    const call = await startBudgetCall(this.budget, {
      context: resolveRunContext(
        this.context,
        metadata?.thread_id ?? execution?.threadId,
        metadata?.[metadataKey],
      ),
      model: modelId ?? callModelName(params, metadata),
      input,
      maxOutputTokens: readMaxOutputTokens(params),
      defaultMaxOutputTokens,
      warnings: false, // a callback cannot show them to the model
      stallMs,
      // Not marked sent until a token arrives: a call another handler refused (LangChain then calls
      // neither end nor error) is released, and recorded should its result still come (a slow invoke);
      // a stream left with `break` is settled from what streamed.
      onStall: () => {
        if (this.runs.get(runId) !== call) return
        this.runs.delete(runId)
        this.stalled.set(runId, call)
        if (this.stalled.size > maxStalled) this.stalled.delete(this.stalled.keys().next().value as string)
      },
    })
    this.runs.set(runId, call)
  }

  private take(runId: string): BudgetCall | undefined {
    const call = this.runs.get(runId)
    if (call !== undefined) this.runs.delete(runId)
    else if (this.stalled.size > 0) {
      const late = this.stalled.get(runId)
      this.stalled.delete(runId)
      return late
    }
    return call
  }
}
