import { getCurrentSpan, type Model, type ModelRequest, type ModelResponse, Usage } from '@openai/agents'
import { type BudgetContext, BudgetExceededError, BudgetValidationError } from '@tokenwarden/core'
import {
  type BudgetCall,
  mergeCallContext,
  type ResolvedAdapterOptions,
  startBudgetCall,
  validateAdapterOptions,
} from '@tokenwarden/core/adapter'
import {
  budgetExceededEvents,
  budgetExceededResponse,
  budgetResponseDone,
} from './budget-exceeded-response.ts'
import type { BudgetModelOptions, ModelCallContext } from './budget-model-options.ts'
import { reportedUsage, toCallInput } from './model-call-input.ts'
import { currentBudgetContext } from './with-budget-context.ts'

/**
 * Wraps an Agents SDK `Model` so that every call of a run is budgeted: before a call the input
 * (instructions, items, tools, handoffs) is estimated and reserved with the agent's `maxTokens` (else
 * the default, reserved but not sent) or refused without calling the model; pending budget warnings
 * are appended to the agent's instructions once per crossing; afterwards the call is settled from the
 * response's usage (cached and reasoning tokens apart), a stream from its `response_done` usage, or from
 * the estimate when a stream is aborted, cut or stalls. The running agent's name is the `agent` scope.
 *
 * @example
 * import { Agent, OpenAIChatCompletionsModel, run } from '@openai/agents'
 * import { budgetModel } from '@tokenwarden/openai-agents'
 *
 * const model = budgetModel(new OpenAIChatCompletionsModel(client, 'gpt-4o'), { budget, modelId: 'gpt-4o' })
 * const result = await run(new Agent({ name: 'researcher', model }), 'Summarise the report.')
 */
export function budgetModel(model: Model, options: BudgetModelOptions): Model {
  const resolved = validateAdapterOptions(options, { contextFunction: true })
  return wrapModel(model, resolved, resolved.modelId)
}

/** @internal {@link budgetModel} on options already validated, for the provider (which validated once). */
export function wrapModel(
  model: Model,
  options: ResolvedAdapterOptions<ModelCallContext>,
  modelId: string | undefined,
): Model {
  const { budget, context, onExceeded, exceededText, stopStreamsAtReservation } = options

  const contextOf = (request: ModelRequest): BudgetContext | Promise<BudgetContext> => {
    const agent = currentAgentName()
    if (typeof context !== 'function') return merged(agent, context)
    return Promise.resolve(context({ agent, request })).then((base) => {
      if (base === null || typeof base !== 'object')
        throw new BudgetValidationError({
          field: 'context',
          value: base,
          reason: 'expected the function to return an object of scope ids',
        })
      return merged(agent, base)
    })
  }

  /** Reserves the call; the refusal itself when the run is to finish with `exceededText`. */
  const start = async (
    request: ModelRequest,
    onStall?: () => void,
  ): Promise<BudgetCall | BudgetExceededError> => {
    try {
      const resolved = contextOf(request) // a static context is not awaited (no extra hop per call)
      return await startBudgetCall(budget, {
        context: resolved instanceof Promise ? await resolved : resolved,
        model: modelId,
        input: toCallInput(request),
        maxOutputTokens: request.modelSettings?.maxTokens,
        defaultMaxOutputTokens: options.defaultMaxOutputTokens,
        clamp: options.clamp,
        warnings: options.injectWarnings,
        status: options.injectStatus,
        stallMs: options.stallMs,
        onStall,
      })
    } catch (error) {
      if (onExceeded === 'finish' && BudgetExceededError.isInstance(error)) return error
      throw error
    }
  }

  const wrapped: Model = {
    async getResponse(request) {
      const call = await start(request)
      if (BudgetExceededError.isInstance(call)) return budgetExceededResponse(exceededText(call))
      let response: ModelResponse
      try {
        const sent = withCall(request, call, undefined)
        call.markSent()
        response = await model.getResponse(sent)
        await call.finish(reportedUsage(response?.usage), {
          outputTokens: () => outputTokensOf(response, budget.estimator),
          conversation: response?.responseId, // a later call continuing this response is floored by it
        })
      } catch (error) {
        await call.fail() // an error before or from the provider releases and gives the warnings back
        throw error
      }
      return response
    },

    async *getStreamedResponse(request) {
      const abort = new AbortController()
      const call = await start(request, () => abort.abort(new Error('[tokenwarden] model stream stalled')))
      if (BudgetExceededError.isInstance(call)) {
        yield* budgetExceededEvents(exceededText(call))
        return
      }
      let streaming = false // once an event arrived the provider is working: an error then settles
      let text = ''
      try {
        const signal =
          request.signal === undefined ? abort.signal : AbortSignal.any([request.signal, abort.signal])
        const sent = withCall(request, call, signal)
        call.markSent()
        for await (const event of model.getStreamedResponse(sent)) {
          streaming = true
          if (event.type === 'output_text_delta') {
            call.countOutput(event.delta)
            if (stopStreamsAtReservation) text += event.delta
          } else call.progress()
          if (event.type === 'response_done') {
            await call.finish(reportedUsage(event.response?.usage), { conversation: event.response?.id })
          }
          yield event
          call.markSent() // the reader pulled again: waiting for the provider
          if (stopStreamsAtReservation && call.state === 'open' && call.overReservation) {
            const used = { inputTokens: call.inputTokens, outputTokens: call.outputTokens }
            await call.finish() // the rest of the stream is cancelled when the loop is left
            yield budgetResponseDone(text, new Usage(used))
            return
          }
        }
      } catch (error) {
        await (streaming ? call.finish().catch(() => undefined) : call.fail())
        throw error
      } finally {
        // the reader left early (the run was aborted or stopped), or the stream ended without a word
        // (sent, maybe billed): settle what was produced so far; an error was closed above
        if (call.state === 'open') await call.finish().catch(() => undefined)
      }
    },
  }
  if (model.supportsPromptModelSelection !== undefined)
    Object.defineProperty(wrapped, 'supportsPromptModelSelection', {
      value: model.supportsPromptModelSelection,
    })
  const advice = model.getRetryAdvice
  if (typeof advice === 'function') wrapped.getRetryAdvice = (args) => advice.call(model, args)
  return wrapped
}

/** The request the model receives: the caller's, unless the budget adds a notice, an output cap or a signal. */
function withCall(request: ModelRequest, call: BudgetCall, signal: AbortSignal | undefined): ModelRequest {
  const { notice, maxOutputTokens } = call
  const capped = maxOutputTokens !== undefined && maxOutputTokens !== request.modelSettings?.maxTokens
  if (notice === undefined && !capped && signal === undefined) return request
  const next: ModelRequest = { ...request }
  if (notice !== undefined) {
    const instructions = request.systemInstructions
    next.systemInstructions = instructions ? `${instructions}\n\n${notice}` : notice
  }
  if (capped) next.modelSettings = { ...request.modelSettings, maxTokens: maxOutputTokens }
  if (signal !== undefined) next.signal = signal
  return next
}

/** A call's context: the running agent, then the model's context, then the run's (`withBudgetContext`). */
function merged(agent: string | undefined, base: BudgetContext): BudgetContext {
  const own = mergeCallContext(agent === undefined ? {} : { agent }, base, 'context')
  return mergeCallContext(own, currentBudgetContext(), 'withBudgetContext')
}

/** The running agent: the SDK's current turn (or agent) span names it, with tracing on or off. */
function currentAgentName(): string | undefined {
  const data = getCurrentSpan()?.spanData as { type?: string; name?: string; agent_name?: string } | undefined
  const name = data?.type === 'turn' ? data.agent_name : data?.type === 'agent' ? data.name : undefined
  return typeof name === 'string' && name.length > 0 ? name : undefined
}

/** The output tokens of a response from its text and tool calls (when the provider reports no usage). */
function outputTokensOf(
  response: ModelResponse | undefined,
  estimator: { count(text: string): number },
): number {
  let text = ''
  for (const item of response?.output ?? []) {
    const {
      content,
      name,
      arguments: args,
    } = item as { content?: unknown; name?: unknown; arguments?: unknown }
    if (Array.isArray(content))
      for (const part of content) text += typeof part?.text === 'string' ? part.text : ''
    if (typeof name === 'string') text += name
    if (typeof args === 'string') text += args
  }
  return text.length === 0 ? 0 : estimator.count(text)
}
