import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4Middleware,
} from '@ai-sdk/provider'
import { BudgetExceededError, type TokenEstimator } from '@tokenwarden/core'
import { type BudgetCall, startBudgetCall, validateAdapterOptions } from '@tokenwarden/core/adapter'
import { applyMiddlewarePolicies, resolveMiddlewarePolicies } from './apply-middleware-policies.ts'
import { budgetExceededResult, budgetExceededStream } from './budget-exceeded-result.ts'
import type { BudgetMiddlewareOptions } from './budget-middleware-options.ts'
import { toCallInput } from './estimate-prompt-tokens.ts'
import { injectSystemMessage } from './inject-system-message.ts'
import { meterStream } from './meter-stream.ts'
import { callContextResolver, providerOptionsKey } from './resolve-call-context.ts'
import { reportedUsage } from './to-token-usage.ts'

export type { BudgetMiddlewareOptions } from './budget-middleware-options.ts'

/** What `transformParams` decided for a call, found by `wrapGenerate`/`wrapStream` under the params it returned. */
type CallState = Reserved | { kind: 'refused'; error: BudgetExceededError }

interface Reserved {
  kind: 'reserved'
  call: BudgetCall
  /** The cheaper model that serves the call, and the id it replaced. */
  downgrade: { model: LanguageModelV4; from: string } | undefined
  /** Set once the stream exists: what a stalled call does to it. */
  onStall: (() => void) | undefined
}

/**
 * A Vercel AI SDK (`ai` 7) language model middleware that budgets every call of the wrapped model:
 * `generateText`, `streamText`, tool loops and agents. Before a call it estimates the input, reserves input
 * plus the output limit (the caller's, else the default, which is reserved but not sent) or refuses
 * without calling the model, and shows pending budget warnings to the model; afterwards it settles the
 * provider's usage (cached and reasoning tokens apart), or an estimate when the provider reports none or
 * a stream is cut, aborted, cancelled or stalls. A failed call releases its reservation. With room in
 * the budget the provider receives the params it would receive without the middleware.
 *
 * @example
 * import { openai } from '@ai-sdk/openai'
 * import { createBudget } from '@tokenwarden/core'
 * import { budgetMiddleware } from '@tokenwarden/ai-sdk'
 * import { generateText, wrapLanguageModel } from 'ai'
 *
 * const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
 * const model = wrapLanguageModel({
 *   model: openai('gpt-4o'),
 *   middleware: budgetMiddleware({ budget, context: { agent: 'researcher' } }),
 * })
 * const { text } = await generateText({
 *   model,
 *   prompt: 'Summarise the report.',
 *   providerOptions: { tokenwarden: { thread: 't-1' } },
 * })
 */
export function budgetMiddleware(options: BudgetMiddlewareOptions): LanguageModelV4Middleware {
  const { budget, context, modelId, onExceeded, exceededText, callOptions } = validateAdapterOptions(
    options,
    {
      contextFunction: true,
    },
  )
  const policies = resolveMiddlewarePolicies(options)
  const contextOf = callContextResolver(context)
  const hasPolicies = policies.compression !== undefined || policies.downgrade !== undefined
  // Keyed by the params object transformParams returns (wrapGenerate/wrapStream receive that object):
  // nothing of ours rides on the params the provider sees, and nested budget middlewares keep apart.
  const calls = new WeakMap<LanguageModelV4CallOptions, CallState>()
  const take = (params: LanguageModelV4CallOptions) => {
    const state = calls.get(params)
    if (state !== undefined) calls.delete(params)
    return state
  }

  return {
    specificationVersion: 'v4',

    async transformParams({ params, model }) {
      const resolved = contextOf(params)
      const callContext = resolved instanceof Promise ? await resolved : resolved
      let id = modelId ?? model.modelId
      let prompt = params.prompt
      let input = toCallInput(params, chainOf(params.providerOptions))
      let downgrade: { model: LanguageModelV4; from: string } | undefined
      if (hasPolicies) {
        const outcome = await applyMiddlewarePolicies(policies, {
          budget,
          context: callContext,
          params,
          model,
          modelId: id,
          input,
        })
        id = outcome.modelId
        downgrade = outcome.downgrade
        if (outcome.prompt !== prompt) {
          prompt = outcome.prompt
          input = toCallInput({ ...params, prompt }, input.conversation)
        }
      }
      let state: Reserved | undefined // what a stalled call does to its stream is known once it exists
      let call: BudgetCall
      try {
        call = await startBudgetCall(budget, {
          ...callOptions,
          context: callContext,
          model: id,
          input,
          maxOutputTokens: params.maxOutputTokens,
          onStall: () => state?.onStall?.(),
        })
      } catch (error) {
        if (onExceeded !== 'finish' || !BudgetExceededError.isInstance(error)) throw error
        const refused = withParams(params, prompt, undefined)
        calls.set(refused, { kind: 'refused', error })
        return refused
      }
      state = { kind: 'reserved', call, downgrade, onStall: undefined }
      try {
        const transformed = withParams(
          params,
          call.notice === undefined ? prompt : injectSystemMessage(prompt, call.notice),
          call.maxOutputTokens,
        )
        calls.set(transformed, state)
        return transformed
      } catch (error) {
        await call.fail()
        throw error
      }
    },

    async wrapGenerate({ doGenerate, params }) {
      const state = take(params)
      if (state === undefined) return doGenerate()
      if (state.kind === 'refused') return budgetExceededResult(state.error, exceededText(state.error))
      const { call, downgrade } = state
      call.markSent()
      try {
        const result = await (downgrade === undefined ? doGenerate() : downgrade.model.doGenerate(params))
        // The output is estimated only when the provider did not report it (or reported it unusably).
        await call.finish(reportedUsage(result?.usage), {
          outputTokens: () => contentTokens(result?.content, budget.estimator),
          conversation: result?.response?.id, // a later call that continues this response is floored by it
        })
        if (downgrade === undefined || result === null || typeof result !== 'object') return result
        const tokenwarden = { model: downgrade.model.modelId, downgradedFrom: downgrade.from }
        return { ...result, providerMetadata: { ...result.providerMetadata, tokenwarden } }
      } catch (error) {
        await call.fail() // a provider error (or any throw above) releases and gives the warnings back
        throw error
      }
    },

    async wrapStream({ doStream, params }) {
      const state = take(params)
      if (state === undefined) return doStream()
      if (state.kind === 'refused') return budgetExceededStream(state.error, exceededText(state.error))
      const { call, downgrade } = state
      let result: Awaited<ReturnType<typeof doStream>>
      call.markSent()
      try {
        result = await (downgrade === undefined ? doStream() : downgrade.model.doStream(params))
      } catch (error) {
        await call.fail()
        throw error
      }
      if (!(result?.stream instanceof ReadableStream)) {
        await call.finish() // nothing to meter: the estimate counts
        return result
      }
      const metered = meterStream(result.stream, call, { abortSignal: params.abortSignal })
      state.onStall = metered.onStall
      return { ...result, stream: metered.stream }
    },
  }
}

/**
 * The params the provider receives: the caller's, untouched unless the budget changed something (the
 * prompt, the output cap, our provider options); never an extra key.
 */
function withParams(
  params: LanguageModelV4CallOptions,
  prompt: LanguageModelV4CallOptions['prompt'],
  maxOutputTokens: number | undefined,
): LanguageModelV4CallOptions {
  const providerOptions = params.providerOptions
  const ours = providerOptions !== undefined && providerOptionsKey in providerOptions
  const capped = maxOutputTokens !== undefined && maxOutputTokens !== params.maxOutputTokens
  if (!ours && !capped && prompt === params.prompt) return params
  const transformed: LanguageModelV4CallOptions = { ...params, prompt }
  if (capped) transformed.maxOutputTokens = maxOutputTokens
  if (ours) {
    const { [providerOptionsKey]: _, ...rest } = providerOptions
    transformed.providerOptions = rest
  }
  return transformed
}

/**
 * The conversation or response chain a call continues (an OpenAI Responses `previousResponseId` or
 * `conversation` in its provider options), for the core to floor its input estimate.
 */
function chainOf(providerOptions: LanguageModelV4CallOptions['providerOptions']): string | undefined {
  const openai = providerOptions?.openai
  if (openai === undefined || openai === null) return undefined
  const chain = openai.previousResponseId ?? openai.conversation
  return typeof chain === 'string' && chain.length > 0 ? chain : undefined
}

/** The output tokens of a generated result from its text, reasoning and tool calls (when the provider reports none). */
function contentTokens(
  content: readonly LanguageModelV4Content[] | undefined,
  estimator: TokenEstimator,
): number {
  if (!Array.isArray(content)) return 0
  let text = ''
  for (const part of content) {
    if (part.type === 'text' || part.type === 'reasoning') text += part.text
    else if (part.type === 'tool-call') text += `${part.toolName}${part.input}`
  }
  return text.length === 0 ? 0 : estimator.count(text)
}
