import { AIMessage, type BaseMessage, SystemMessage } from '@langchain/core/messages'
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons'
import {
  type BudgetContext,
  BudgetExceededError,
  type CompressionEvent,
  type DowngradeEvent,
  type DowngradeLevel,
} from '@tokenwarden/core'
import { type BudgetAdapterOptions, startBudgetCall, validateAdapterOptions } from '@tokenwarden/core/adapter'
import type { AgentMiddleware, ModelRequest, WrapModelCallHandler } from 'langchain'
import {
  type AgentPolicies,
  appendSystemText,
  applyAgentPolicies,
  type LangChainCompressionOptions,
  resolveAgentPolicies,
} from './apply-agent-policies.ts'
import { askForBudget } from './ask-for-budget.ts'
import { clampModelOutput, supportsOutputClamp } from './clamp-model-output.ts'
import { callModelName, readMaxOutputTokens } from './read-call-options.ts'
import { reportedUsageOfMessage } from './reported-usage-of-message.ts'
import { metadataKey, resolveRunContext } from './resolve-run-context.ts'
import { messageText, toCallInput } from './to-call-input.ts'

/** Options of {@link agentBudgetMiddleware} (calls are not streamed by it: no `stopStreamsAtReservation`). */
export interface AgentBudgetMiddlewareOptions
  extends Omit<BudgetAdapterOptions, 'stopStreamsAtReservation' | 'onExceeded'> {
  /**
   * Who the agent's calls are for. A run adds or overrides scopes with
   * `agent.invoke(input, { metadata: { tokenwarden: { user: 'u-42' } } })`; the run's
   * `configurable.thread_id` becomes the `thread`.
   * @default {}
   */
  context?: BudgetContext
  /** Returns a copy of the model limited to `maxOutputTokens` (for `clamp`). @default clampModelOutput (ChatOpenAI-like models) */
  clampModel?: (model: ModelRequest['model'], maxOutputTokens: number) => ModelRequest['model'] | undefined
  /** Add the warnings to the agent's state as system messages (kept in the history) instead. @default false */
  persistWarnings?: boolean
  /**
   * When the budget cannot afford the next model call (the model is not called): `'throw'` the
   * `BudgetExceededError` (the agent rejects with a `MiddlewareError` whose `cause` it is), `'finish'`
   * the run with an AI message saying why (`exceededText`), or `'interrupt'`: pause the run for a human
   * with a LangGraph interrupt whose value is a `BudgetInterrupt` (the refusal's figures and `shortfall`;
   * needs a checkpointer and `@langchain/langgraph`). Resuming with
   * `new Command({ resume: { extend: { tokens: 5000 } } })` grants that much more to the refusing scope
   * for its current period (`budget.grant`) and retries the call (a refusal again interrupts again);
   * `{ resume: { stop: true } }` ends the run as `'finish'` does (see `BudgetResume`).
   * @default 'throw'
   * @example
   * const agent = createAgent({ model, checkpointer: new MemorySaver(), middleware: [agentBudgetMiddleware({ budget, onExceeded: 'interrupt' })] })
   * const paused = await agent.invoke(input, config) // paused.__interrupt__[0].value: BudgetInterrupt
   * await agent.invoke(new Command({ resume: { extend: { tokens: 5000 } } }), config)
   */
  onExceeded?: 'throw' | 'finish' | 'interrupt'
  /** Fit requests to a target size past a usage level (see README). @default off */
  compression?: true | LangChainCompressionOptions
  /** Swap in a cheaper chat model past a usage level, e.g. `[{ atUsage: 0.9, model: mini }]`. @default off */
  downgrade?: readonly DowngradeLevel<ModelRequest['model']>[]
  /** Told when a request was compressed (counts only, no text). */
  onCompressed?: (event: CompressionEvent) => void
  /** Told when a call went to a cheaper model. */
  onDowngraded?: (event: DowngradeEvent) => void
}

/**
 * A `createAgent` middleware that budgets every model call of the agent: before the call it estimates
 * the request (messages, images, files, tool schemas), reserves it or refuses without calling the model,
 * and shows pending budget warnings once in the system message; afterwards it settles the reported
 * usage (or an estimate). A failed call releases its reservation and gives its warnings back. Place it
 * before `modelRetryMiddleware` (see README). Do not also attach `BudgetCallbackHandler` to the same
 * budget: calls would count twice.
 *
 * @example
 * const agent = createAgent({ model, tools, middleware: [agentBudgetMiddleware({ budget, context: { agent: 'researcher' } })] })
 * await agent.invoke({ messages: [new HumanMessage('Research X')] }, { configurable: { thread_id: 't-1' } })
 */
export function agentBudgetMiddleware(options: AgentBudgetMiddlewareOptions): AgentMiddleware {
  const resolved = validateAdapterOptions(options as unknown, { modes: ['throw', 'finish', 'interrupt'] })
  const { budget, modelId, defaultMaxOutputTokens, clamp, exceededText, stallMs } = resolved
  const onExceeded = resolved.onExceeded as NonNullable<AgentBudgetMiddlewareOptions['onExceeded']> // validated against the modes above
  const { injectWarnings, injectStatus } = resolved
  const persistWarnings = options.persistWarnings ?? false
  const clampModel = options.clampModel ?? clampModelOutput
  const base = resolveRunContext({}, undefined, options.context, 'context')
  const policies: AgentPolicies | undefined = resolveAgentPolicies(options)

  const contextOf = (runtime: ModelRequest['runtime']): BudgetContext => {
    // The run's metadata reaches middleware through LangGraph's async-local config.
    const metadata = AsyncLocalStorageProviderSingleton.getRunnableConfig()?.metadata
    return resolveRunContext(base, runtime?.configurable?.thread_id, metadata?.[metadataKey])
  }

  const wrapModelCall = async (original: ModelRequest, handler: WrapModelCallHandler) => {
    const context = contextOf(original.runtime)
    let id = modelId ?? callModelName(original.model)
    let request = original
    let input = toCallInput(messagesOf(request), request.tools)
    let downgradedFrom: string | undefined
    if (policies !== undefined) {
      const applied = await applyAgentPolicies(budget, policies, { context, request, input, modelId: id })
      if (applied.request.messages !== request.messages)
        input = toCallInput(messagesOf(applied.request), request.tools) // compressed: estimate what is sent
      request = applied.request
      id = applied.modelId
      downgradedFrom = applied.downgradedFrom
    }
    const requested = readMaxOutputTokens(request.modelSettings) ?? readMaxOutputTokens(request.model)
    const clampable =
      clamp !== false && (options.clampModel !== undefined || supportsOutputClamp(request.model))
    const start = () =>
      startBudgetCall(budget, {
        context,
        model: id,
        input,
        maxOutputTokens: requested,
        defaultMaxOutputTokens,
        clamp: clampable ? clamp : false,
        warnings: injectWarnings && !persistWarnings,
        status: injectStatus,
        stallMs,
      })
    let call: Awaited<ReturnType<typeof startBudgetCall>>
    try {
      call = await (onExceeded === 'interrupt' ? askForBudget(budget, context, start) : start())
    } catch (error) {
      return refused(error)
    }
    try {
      let next = request
      if (call.notice !== undefined)
        next = { ...next, systemMessage: appendSystemText(next.systemMessage, call.notice) }
      if (call.maxOutputTokens !== undefined && call.maxOutputTokens !== requested) {
        const clamped = clampModel(next.model, call.maxOutputTokens)
        if (clamped !== undefined) next = { ...next, model: clamped }
      }
      call.markSent()
      const response = await handler(next)
      await call.finish(reportedUsageOfMessage(response), {
        outputTokens: () => budget.estimator.count(messageText(response)),
      })
      if (downgradedFrom !== undefined && AIMessage.isInstance(response)) {
        const tokenwarden = { model: id, downgradedFrom }
        response.response_metadata = { ...response.response_metadata, tokenwarden }
      }
      return response
    } finally {
      await call.close() // a failed model call releases and gives its warnings back
    }
  }

  /** What a call the budget cannot afford becomes: one case per `onExceeded` mode. */
  const refused = (error: unknown): AIMessage => {
    if (!BudgetExceededError.isInstance(error)) throw error
    switch (onExceeded) {
      case 'finish':
      case 'interrupt': // the human answered { stop: true }
        return new AIMessage({
          content: exceededText(error),
          response_metadata: { tokenwarden: { exceeded: error.toJSON() } },
        })
      default:
        throw error
    }
  }

  const beforeModel = (_state: unknown, runtime: ModelRequest['runtime']) => {
    const warnings = budget.takeWarnings(contextOf(runtime), { model: modelId })
    if (warnings.length === 0) return undefined
    const content = warnings.map((warning) => warning.message).join('\n')
    return { messages: [new SystemMessage({ content, name: 'tokenwarden' })] }
  }

  // The shape `createMiddleware` from `langchain` returns, built here so that importing this package
  // does not load `langchain` (an optional peer: the callback handler works without it).
  return {
    [Symbol.for('AgentMiddleware')]: true,
    name: 'TokenwardenBudgetMiddleware',
    wrapModelCall,
    beforeModel: persistWarnings && injectWarnings ? beforeModel : undefined,
  } as unknown as AgentMiddleware
}

/** The messages the model receives: the system message (when it has text), then the conversation. */
function messagesOf(request: ModelRequest): BaseMessage[] {
  return request.systemMessage.text === '' ? request.messages : [request.systemMessage, ...request.messages]
}
