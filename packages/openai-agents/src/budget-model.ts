import { getCurrentSpan, type Model, type ModelRequest, type ModelResponse, Usage } from '@openai/agents'
import { type BudgetContext, BudgetValidationError } from '@tokenwarden/core'
import {
  type BudgetAdapterOptions,
  type BudgetCall,
  exceededAnswer,
  mergeCallContext,
  type ResolvedAdapterOptions,
  startBudgetCall,
  validateAdapterOptions,
} from '@tokenwarden/core/adapter'
import { budgetExceededEvents, budgetExceededResponse } from './budget-exceeded-response.ts'
import { reportedUsage, toCallInput } from './model-call-input.ts'
import { currentBudgetContext } from './with-budget-context.ts'

/**
 * Who a model call is for: a static context, or a function of the call (the running agent's name and
 * the SDK's request; may be async). The running agent's name is the `agent` scope unless this sets one.
 *
 * @example
 * const context: ModelCallContext = ({ agent }) => ({ task: agent === 'writer' ? 'draft' : 'research' })
 */
export type ModelCallContext =
  | BudgetContext
  | ((call: {
      agent: string | undefined
      request: ModelRequest
    }) => BudgetContext | PromiseLike<BudgetContext>)

/** Options of `budgetModel` and `budgetModelProvider`. */
export interface BudgetModelOptions extends BudgetAdapterOptions<ModelCallContext> {
  /**
   * Who the calls are for. The running agent's name is added as `agent`; a run's own ids come from
   * `withBudgetContext({ thread }, () => run(…))`, which overrides both.
   * @default {}
   */
  context?: ModelCallContext
}

/**
 * Wraps an Agents SDK `Model` so that every call of a run is budgeted: the input (instructions, items,
 * tools, handoffs) is estimated and reserved with the agent's `maxTokens` (else the default, reserved
 * but not sent) or refused without calling the model; pending warnings are appended to the instructions;
 * the call is settled from the response's usage (a stream's `response_done`), else from the estimate.
 * The running agent's name is the `agent` scope.
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
  const { budget, context } = options
  const base = typeof context === 'function' ? undefined : { ...context }
  let last: { agent?: string; run?: BudgetContext; context: BudgetContext } | undefined
  /** The running agent, the model's context, the run's (`withBudgetContext`); the last one is reused. */
  const contextOf = (request: ModelRequest): BudgetContext | Promise<BudgetContext> => {
    const agent = currentAgentName()
    if (base !== undefined) {
      const run = currentBudgetContext()
      if (last === undefined || last.agent !== agent || last.run !== run)
        last = { agent, run, context: merged(agent, base, run) }
      return last.context
    }
    return Promise.resolve((context as ContextFunction)({ agent, request })).then((own) => {
      if (own === null || typeof own !== 'object')
        throw new BudgetValidationError({
          field: 'context',
          value: own,
          reason: 'expected the function to return an object of scope ids',
        })
      return merged(agent, own, currentBudgetContext())
    })
  }

  /** Reserves the call; the text to finish with when it is refused under `onExceeded: 'finish'`. */
  const start = async (request: ModelRequest, onStall?: () => void): Promise<BudgetCall | string> => {
    try {
      const resolved = contextOf(request) // a static context is not awaited (no extra hop per call)
      return await startBudgetCall(budget, {
        ...options.callOptions,
        context: resolved instanceof Promise ? await resolved : resolved,
        model: modelId,
        input: toCallInput(request),
        maxOutputTokens: request.modelSettings?.maxTokens,
        onStall,
      })
    } catch (error) {
      const text = exceededAnswer(options, error)
      if (text === undefined) throw error
      return text
    }
  }

  const wrapped: Model = {
    async getResponse(request) {
      const call = await start(request)
      if (typeof call === 'string') return budgetExceededResponse(call)
      let response: ModelResponse
      try {
        call.markSent()
        response = await model.getResponse(withCall(request, call, undefined))
        await call.finish(reportedUsage(response?.usage), {
          outputText: () => outputText(response),
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
      if (typeof call === 'string') {
        yield* budgetExceededEvents(call)
        return
      }
      let streaming = false // once an event arrived the provider is working: an error then settles
      let text = ''
      try {
        const signal = request.signal ? AbortSignal.any([request.signal, abort.signal]) : abort.signal
        call.markSent()
        for await (const event of model.getStreamedResponse(withCall(request, call, signal))) {
          streaming = true
          if (event.type === 'output_text_delta') {
            call.countOutput(event.delta)
            if (options.stopStreamsAtReservation) text += event.delta
          } else call.progress()
          const done = event.type === 'response_done' ? event : undefined
          if (done)
            await call.finish(reportedUsage(done.response?.usage), { conversation: done.response?.id })
          yield event
          call.markSent() // the reader pulled again: waiting for the provider
          if (call.shouldStop) {
            const used = { inputTokens: call.inputTokens, outputTokens: call.outputTokens }
            await call.finish() // the rest of the stream is cancelled when the loop is left
            yield* budgetExceededEvents(text, new Usage(used))
            return
          }
        }
      } catch (error) {
        await (streaming ? call.finish().catch(() => undefined) : call.fail())
        throw error
      } finally {
        // left early (aborted, stopped) or ended without a word (sent): settle what was produced so far
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

type ContextFunction = Extract<ModelCallContext, (...args: never[]) => unknown>

function merged(agent: string | undefined, base: BudgetContext, run: BudgetContext | undefined) {
  const own = mergeCallContext(agent === undefined ? {} : { agent }, base, 'context')
  return mergeCallContext(own, run, 'withBudgetContext')
}

/** The running agent: the SDK's current turn (or agent) span names it, with tracing on or off. */
function currentAgentName(): string | undefined {
  const data = getCurrentSpan()?.spanData as { type?: string; name?: string; agent_name?: string } | undefined
  const name = data?.type === 'turn' ? data.agent_name : data?.type === 'agent' ? data.name : undefined
  return typeof name === 'string' && name.length > 0 ? name : undefined
}

/** The output text of a response from its messages and tool calls (when the provider reports no usage). */
function outputText(response: ModelResponse | undefined): string {
  let text = ''
  for (const item of response?.output ?? []) {
    const { content, name, arguments: args } = item as Record<string, unknown>
    if (Array.isArray(content))
      for (const part of content) text += typeof part?.text === 'string' ? part.text : ''
    if (typeof name === 'string') text += name
    if (typeof args === 'string') text += args
  }
  return text
}
