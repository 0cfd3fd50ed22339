import { AIMessage, type BaseMessage, SystemMessage } from '@langchain/core/messages'
import {
  type Budget,
  type BudgetContext,
  BudgetExceededError,
  BudgetValidationError,
  type CompressionEvent,
  type DowngradeEvent,
  type DowngradeLevel,
  type Reservation,
  type TokenUsage,
} from '@tokenwarden/core'
import type { AgentMiddleware, ModelRequest, WrapModelCallHandler } from 'langchain'
import {
  applyBudgetPolicies,
  type LangChainCompressionOptions,
  resolveLangChainPolicies,
  toolText,
} from './apply-budget-policies.ts'
import { clampModelOutput, supportsOutputClamp } from './clamp-model-output.ts'
import { estimateMessageTokens, messageText } from './estimate-message-tokens.ts'
import { formatExceededMessage } from './format-exceeded-message.ts'
import { assertBudget, assertOptionalTokens, readMaxOutputTokens } from './read-call-options.ts'
import { resolveRunContext } from './resolve-run-context.ts'
import { tokenUsageFromMessage } from './token-usage-from-message.ts'

/** Options of {@link budgetMiddleware}. */
export interface BudgetMiddlewareOptions {
  budget: Budget
  /**
   * Who the agent's calls are for. The agent's `configurable.thread_id` becomes the `thread`, and a
   * `tokenwarden` object in the run's context (`agent.invoke(input, { context: { tokenwarden } })`)
   * adds or overrides scopes.
   * @default {}
   */
  context?: BudgetContext
  /** The model name used for prices and `model` limits. @default the model's `model` field */
  model?: string
  /** Output tokens reserved when the model sets no maximum. @default the budget's defaultMaxOutputTokens */
  maxOutputTokens?: number
  /**
   * When the budget cannot afford the next model call: end the run with an AI message explaining why
   * (`'end'`), or throw (`'error'`; the agent rejects with a `MiddlewareError` whose `cause` is the
   * `BudgetExceededError`).
   * @default 'end'
   */
  onExceeded?: 'end' | 'error'
  /**
   * Lower the model's output maximum to what the budget can still afford instead of ending the run,
   * where the model supports it (see `clampModel`); ends only below `minOutputTokens` (default 1).
   * @default true
   */
  clamp?: boolean | { minOutputTokens?: number }
  /**
   * Returns a copy of the model limited to `maxOutputTokens`.
   * @default clampModelOutput (ChatOpenAI and models that keep their fields in `fields`)
   */
  clampModel?: (model: ModelRequest['model'], maxOutputTokens: number) => ModelRequest['model'] | undefined
  /**
   * Add budget warnings to the conversation state as system messages (kept in the history) instead of
   * showing them only in the system message of the next call.
   * @default false
   */
  persistWarnings?: boolean
  /** The text of the AI message that ends the run. @default formatExceededMessage */
  exceededMessage?: (error: BudgetExceededError) => string
  /**
   * Fit each model request to a target size once the context passes a usage level (default 70%
   * moderate, 90% aggressive): drop low-signal turns, truncate the longest tool results, summarize older
   * turns with `summarizer` (a budgeted call; the summary goes in the system message) or drop them. The
   * system message and the latest turns are kept; the agent's state is not changed. @default off
   */
  compression?: true | LangChainCompressionOptions
  /**
   * Swap in a cheaper chat model once the context passes a usage level, e.g.
   * `[{ atUsage: 0.9, model: new ChatOpenAI({ model: 'gpt-4o-mini' }) }]`. The call is reserved and
   * settled under the cheaper model's name, and the AI message's `response_metadata.tokenwarden` says
   * `{ model, downgradedFrom }`. @default off
   */
  downgrade?: readonly DowngradeLevel<ModelRequest['model']>[]
  /** Told when a request was compressed (counts only, no text). */
  onCompressed?: (event: CompressionEvent) => void
  /** Told when a call went to a cheaper model. */
  onDowngraded?: (event: DowngradeEvent) => void
}

/**
 * A `createAgent` middleware that enforces a budget around every model call of the agent: it reserves
 * before the call (clamping the output maximum where the model supports it), settles the reported
 * usage after it, releases the reservation when the call fails, shows each new budget warning once to
 * the model in its system message, and when the budget cannot afford the next call ends the run with an
 * explanatory AI message (or throws, with `onExceeded: 'error'`). The thread scope comes from the
 * agent's thread id. Do not also attach `BudgetCallbackHandler` to the same budget: calls would count twice.
 *
 * @example
 * const agent = createAgent({ model, tools, middleware: [budgetMiddleware({ budget, context: { agent: 'researcher' } })] })
 * await agent.invoke({ messages: [new HumanMessage('Research X')] }, { configurable: { thread_id: 't-1' } })
 */
export function budgetMiddleware(options: BudgetMiddlewareOptions): AgentMiddleware {
  if (options === null || typeof options !== 'object') assertBudget(undefined, 'options')
  const { budget, model: modelName, maxOutputTokens, persistWarnings = false } = options
  assertBudget(budget, 'options.budget')
  assertOptionalTokens(maxOutputTokens, 'options.maxOutputTokens')
  const onExceeded = options.onExceeded ?? 'end'
  if (onExceeded !== 'end' && onExceeded !== 'error') {
    throw new BudgetValidationError({
      field: 'options.onExceeded',
      value: onExceeded,
      reason: "expected 'end' or 'error'",
    })
  }
  const base = resolveRunContext({
    base: undefined,
    threadId: undefined,
    overrides: options.context,
    field: 'options.context',
  })
  const clampModel = options.clampModel ?? clampModelOutput
  const clampable = (model: unknown) =>
    options.clamp !== false && (options.clampModel !== undefined || supportsOutputClamp(model))
  const minOutputTokens = typeof options.clamp === 'object' ? options.clamp.minOutputTokens : undefined
  assertOptionalTokens(minOutputTokens, 'options.clamp.minOutputTokens')
  const exceededMessage = options.exceededMessage ?? formatExceededMessage
  const policies = resolveLangChainPolicies(options)

  const contextOf = (runtime: ModelRequest['runtime']): BudgetContext => {
    const threadId = runtime?.configurable?.thread_id
    const overrides = (runtime?.context as { tokenwarden?: unknown } | undefined)?.tokenwarden
    // Nothing to merge: the middleware's own context, not a copy per call.
    if (threadId === undefined && overrides == null) return base
    return resolveRunContext({ base, threadId, overrides, field: 'context.tokenwarden' })
  }

  const wrapModelCall = async (original: ModelRequest, handler: WrapModelCallHandler) => {
    const context = contextOf(original.runtime)
    const applied =
      policies === undefined
        ? undefined
        : await applyBudgetPolicies(policies, {
            budget,
            context,
            request: original,
            modelName: modelName ?? modelNameOf(original.model),
            nameOf: modelNameOf,
          })
    const request = applied?.request ?? original
    const downgradedFrom = applied?.downgradedFrom
    const model = applied === undefined ? (modelName ?? modelNameOf(request.model)) : applied.modelName
    const requested =
      readMaxOutputTokens(request.model as unknown as Record<string, unknown>) ?? maxOutputTokens
    const inputTokens = estimateMessageTokens(
      budget.estimator,
      [request.systemMessage, ...request.messages],
      request.tools.map(toolText),
    )
    const canClamp = clampable(request.model)
    let reservation: Reservation
    try {
      reservation = await budget.reserve(context, {
        model,
        inputTokens,
        maxOutputTokens: requested,
        clamp: canClamp ? { minOutputTokens: minOutputTokens ?? 1 } : undefined,
      })
    } catch (error) {
      if (onExceeded === 'end' && BudgetExceededError.isInstance(error)) {
        return new AIMessage({
          content: exceededMessage(error),
          response_metadata: { tokenwarden: { exceeded: error.toJSON() } },
        })
      }
      throw error
    }
    try {
      let next = request
      if (canClamp && reservation.maxOutputTokens < (requested ?? budget.defaultMaxOutputTokens)) {
        const clamped = clampModel(request.model, reservation.maxOutputTokens)
        if (clamped !== undefined) next = { ...next, model: clamped }
      }
      if (!persistWarnings) {
        const text = warningText(budget, context, model)
        if (text !== undefined) next = { ...next, systemMessage: appendSystemText(next.systemMessage, text) }
      }
      const response = await handler(next)
      await reservation.settle(usageOf(budget, response, reservation))
      if (
        applied !== undefined &&
        applied.request.model !== original.model &&
        AIMessage.isInstance(response)
      ) {
        response.response_metadata = {
          ...response.response_metadata,
          tokenwarden: { model, downgradedFrom },
        }
      }
      return response
    } catch (error) {
      await reservation.release() // no-op once settled
      throw error
    }
  }

  const beforeModel = (_state: unknown, runtime: ModelRequest['runtime']) => {
    const text = warningText(budget, contextOf(runtime), modelName)
    if (text === undefined) return undefined
    return { messages: [new SystemMessage({ content: text, name: 'tokenwarden' })] }
  }

  // The shape `createMiddleware` from `langchain` returns, built here so that importing this package
  // does not load `langchain` (an optional peer: the callback handler works without it).
  return {
    [Symbol.for('AgentMiddleware')]: true,
    name: 'TokenwardenBudgetMiddleware',
    wrapModelCall,
    beforeModel: persistWarnings ? beforeModel : undefined,
  } as unknown as AgentMiddleware
}

function warningText(budget: Budget, context: BudgetContext, model: string | undefined): string | undefined {
  const warnings = budget.takeWarnings(context, { model })
  if (warnings.length === 0) return undefined
  return warnings.map((warning) => warning.message).join('\n')
}

function appendSystemText(systemMessage: SystemMessage, text: string): SystemMessage {
  if (systemMessage.text.length === 0) return new SystemMessage(text)
  return systemMessage.concat(`\n\n${text}`)
}

function usageOf(budget: Budget, response: unknown, reservation: Reservation): TokenUsage {
  return tokenUsageFromMessage(response, () => ({
    inputTokens: reservation.inputTokens,
    outputTokens: budget.estimator.count(messageText(response as BaseMessage)),
  }))
}

function modelNameOf(model: unknown): string | undefined {
  if (model === null || typeof model !== 'object') return undefined
  const { model: name, modelName } = model as { model?: unknown; modelName?: unknown }
  if (typeof name === 'string' && name.length > 0) return name
  if (typeof modelName === 'string' && modelName.length > 0) return modelName
  return undefined
}
