import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4Middleware } from '@ai-sdk/provider'
import { type BudgetContext, BudgetExceededError, type Reservation } from '@tokenwarden/core'
import { applyBudgetPolicies, resolveMiddlewarePolicies } from './apply-budget-policies.ts'
import { budgetExceededResult, budgetExceededStream } from './budget-exceeded-result.ts'
import type { BudgetMiddlewareOptions } from './budget-middleware-options.ts'
import { type BudgetNotice, budgetNotice, warningNotice } from './budget-notice.ts'
import { estimateContentTokens } from './estimate-content-tokens.ts'
import { estimatePromptTokens } from './estimate-prompt-tokens.ts'
import { injectSystemMessage } from './inject-system-message.ts'
import { keepReservationAlive } from './keep-reservation-alive.ts'
import { meterStream } from './meter-stream.ts'
import { callContextResolver, providerOptionsKey } from './resolve-call-context.ts'
import { toTokenUsage } from './to-token-usage.ts'
import { validateMiddlewareOptions } from './validate-middleware-options.ts'

export type { BudgetMiddlewareOptions } from './budget-middleware-options.ts'

type CallState =
  | {
      kind: 'reserved'
      reservation: Reservation
      inputTokens: number
      context: BudgetContext
      /** The warnings shown with the call, given back to the conversation when the call fails before the model saw them. */
      notice: BudgetNotice | undefined
      /** The cheaper model that serves the call, and the id it replaced. */
      downgrade: { model: LanguageModelV4; from: string } | undefined
    }
  | { kind: 'refused'; error: BudgetExceededError }

type CallParams = LanguageModelV4CallOptions & Record<symbol, CallState | undefined>

/**
 * A Vercel AI SDK (`ai` 7) language model middleware that budgets every call of the wrapped model:
 * `generateText`, `streamText`, tool loops and agents. Before a call it estimates the input, reserves input
 * plus `maxOutputTokens` (or refuses without calling the model) and shows pending budget warnings to the
 * model; afterwards it settles the provider's usage (cached and reasoning tokens apart), or an estimate
 * when the provider reports none or a stream is cut, aborted or cancelled. A failed call releases its
 * reservation.
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
  validateMiddlewareOptions(options)
  const policies = resolveMiddlewarePolicies(options)
  const {
    budget,
    context,
    modelId,
    defaultMaxOutputTokens,
    clamp = false,
    injectWarnings = true,
    injectStatus = false,
    onExceeded = 'throw',
    exceededText = (error: BudgetExceededError) => error.message,
    stopStreamsAtReservation = false,
  } = options
  const contextOf = callContextResolver(context)
  const hasPolicies = policies.compression !== undefined || policies.downgrade !== undefined
  // What transformParams decided rides on the params object it returns (wrapGenerate/wrapStream receive
  // that same object) under a key of this middleware alone: cheaper per call than a WeakMap, invisible to
  // JSON and Object.keys, and nested budget middlewares each find their own.
  const stateKey = Symbol('tokenwarden call')
  const attach = (params: LanguageModelV4CallOptions, state: CallState) => {
    ;(params as CallParams)[stateKey] = state
  }
  const take = (params: LanguageModelV4CallOptions): CallState | undefined => {
    const state = (params as CallParams)[stateKey]
    if (state !== undefined) (params as CallParams)[stateKey] = undefined // the reservation is not kept alive by params
    return state
  }

  const restoreWarnings = (call: { context: BudgetContext; notice: BudgetNotice | undefined }) => {
    if (call.notice !== undefined) budget.restoreWarnings(call.context, call.notice.warnings)
  }

  return {
    specificationVersion: 'v4',

    async transformParams({ params, model }) {
      const resolved = contextOf(params)
      const callContext = resolved instanceof Promise ? await resolved : resolved
      let id = modelId ?? model.modelId
      let prompt = params.prompt
      let downgrade: { model: LanguageModelV4; from: string } | undefined
      if (hasPolicies) {
        const outcome = await applyBudgetPolicies(policies, {
          budget,
          context: callContext,
          params,
          modelId: id,
        })
        id = outcome.modelId
        prompt = outcome.prompt
        if (outcome.model !== undefined && outcome.downgradedFrom !== undefined)
          downgrade = { model: outcome.model, from: outcome.downgradedFrom }
      }
      const providerOptions = withoutBudgetOptions(params.providerOptions)
      // The notice is part of the prompt, so it is taken before the reservation and counted in it.
      const notice = injectStatus
        ? await budgetNotice(budget, callContext, { model: id, status: true, warnings: injectWarnings })
        : injectWarnings
          ? warningNotice(budget, callContext, id)
          : undefined
      if (notice !== undefined) prompt = injectSystemMessage(prompt, notice.text)
      const inputTokens = estimatePromptTokens(
        prompt === params.prompt
          ? params
          : { prompt, tools: params.tools, responseFormat: params.responseFormat },
        budget.estimator,
      )
      let reservation: Reservation
      try {
        reservation = await budget.reserve(callContext, {
          model: id,
          inputTokens,
          maxOutputTokens: params.maxOutputTokens ?? defaultMaxOutputTokens ?? budget.defaultMaxOutputTokens,
          clamp,
        })
      } catch (error) {
        restoreWarnings({ context: callContext, notice })
        if (onExceeded !== 'finish' || !BudgetExceededError.isInstance(error)) throw error
        const refused = { ...params, providerOptions }
        attach(refused, { kind: 'refused', error })
        return refused
      }
      const transformed: LanguageModelV4CallOptions = {
        ...params,
        prompt,
        maxOutputTokens: reservation.maxOutputTokens,
        providerOptions,
      }
      attach(transformed, {
        kind: 'reserved',
        reservation,
        inputTokens,
        context: callContext,
        notice,
        downgrade,
      })
      return transformed
    },

    async wrapGenerate({ doGenerate, params }) {
      const call = take(params)
      if (call === undefined) return doGenerate()
      if (call.kind === 'refused') return budgetExceededResult(call.error, exceededText(call.error))
      const { reservation, inputTokens, downgrade } = call
      let result: Awaited<ReturnType<typeof doGenerate>>
      const stopRenewing = keepReservationAlive(reservation)
      try {
        result = downgrade === undefined ? await doGenerate() : await downgrade.model.doGenerate(params)
      } catch (error) {
        restoreWarnings(call)
        await reservation.release().catch(() => {}) // the lease frees it if the store is down
        throw error
      } finally {
        stopRenewing()
      }
      // The output is estimated only when the provider did not report it (or reported it unusably).
      const estimate = () => ({
        inputTokens,
        outputTokens: estimateContentTokens(result.content, budget.estimator),
      })
      await reservation.settle(toTokenUsage(result.usage, estimate))
      if (downgrade === undefined) return result
      const tokenwarden = { model: downgrade.model.modelId, downgradedFrom: downgrade.from }
      return { ...result, providerMetadata: { ...result.providerMetadata, tokenwarden } }
    },

    async wrapStream({ doStream, params }) {
      const call = take(params)
      if (call === undefined) return doStream()
      if (call.kind === 'refused') return budgetExceededStream(call.error, exceededText(call.error))
      const { reservation, inputTokens, downgrade } = call
      let result: Awaited<ReturnType<typeof doStream>>
      try {
        result = downgrade === undefined ? await doStream() : await downgrade.model.doStream(params)
      } catch (error) {
        restoreWarnings(call)
        await reservation.release().catch(() => {})
        throw error
      }
      const stopRenewing = keepReservationAlive(reservation)
      const stream = meterStream(result.stream, {
        estimator: budget.estimator,
        inputTokens,
        stopAfterOutputTokens: stopStreamsAtReservation ? reservation.maxOutputTokens : undefined,
        abortSignal: params.abortSignal,
        settle: (usage) => {
          stopRenewing()
          return reservation.settle(usage)
        },
      })
      return { ...result, stream }
    },
  }
}

/** The call's provider options without ours (providers never see the budget context). */
function withoutBudgetOptions(providerOptions: LanguageModelV4CallOptions['providerOptions']) {
  if (providerOptions === undefined || !(providerOptionsKey in providerOptions)) return providerOptions
  const { [providerOptionsKey]: _, ...rest } = providerOptions
  return rest
}
