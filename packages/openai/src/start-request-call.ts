import type { Budget, BudgetContext, ReserveRequest } from '@tokenwarden/core'
import { type BudgetExceededError, BudgetValidationError } from '@tokenwarden/core'
import { type BudgetCall, startBudgetCall } from '@tokenwarden/core/adapter'
import type OpenAI from 'openai'
import { applyRequestPolicies, type OpenAIPolicies } from './apply-request-policies.ts'
import { injectNotice } from './inject-notice.ts'
import { type Endpoint, toCallInput } from './to-call-input.ts'

/** How a budgeted client treats its calls (set by `withBudget`, scoped by `withContext`). */
export interface ClientSettings {
  budget: Budget
  context: BudgetContext
  modelId: string | undefined
  defaultMaxOutputTokens: number | undefined
  clamp: ReserveRequest['clamp']
  injectWarnings: boolean
  injectStatus: boolean
  stopStreamsAtReservation: boolean
  stallMs: number | undefined
  /** With `'finish'`, a refused call is answered with `exceededText(error)` (see `budgetExceededResponse`). */
  onExceeded: 'throw' | 'finish'
  exceededText: (error: BudgetExceededError) => string
  /** Compression and downgrade; `undefined` when off (and for summary calls). */
  policies: OpenAIPolicies | undefined
}

/** One budgeted request: its call, and the body its attempts send when the budget edited it. */
export interface RequestCall {
  call: BudgetCall
  endpoint: Endpoint
  body: string | undefined
  /**
   * Applies the budget's edits (notice, clamped cap, `include_usage`) to a later attempt's own
   * serialization (the SDK serializes each attempt again: `toJSON` hooks may answer differently);
   * `undefined` when the body was not edited, or compressed (a retry then sends the compressed body).
   */
  editAttempt: ((serialized: unknown) => string | undefined) | undefined
  hideUsageChunk: boolean
  onStall: (() => void) | undefined
}

const maxFields: Record<Endpoint, readonly string[]> = {
  chat: ['max_completion_tokens', 'max_tokens'],
  responses: ['max_output_tokens'],
  embeddings: [],
}

/**
 * Starts the budget call of one request from the JSON the SDK serialized (a body that is not JSON text
 * is estimated from the options and sent as it is): compression and downgrade, the estimate, the
 * reservation (a refusal throws). Then edits the JSON only where the budget must: the notice, a clamped
 * output limit, `include_usage` on chat streams (`body` is `undefined` when nothing changed).
 *
 * @example
 * const planned = await startRequestCall(settings, 'chat', request.body, options.body, summaryClient)
 * if (planned.body !== undefined) request.body = planned.body
 */
export async function startRequestCall(
  settings: ClientSettings,
  endpoint: Endpoint,
  serialized: unknown,
  body: Record<string, unknown>,
  summaryClient: () => OpenAI,
): Promise<RequestCall> {
  const json = parseJson(serialized)
  const source = json ?? body
  let model = settings.modelId ?? (typeof source.model === 'string' ? source.model : undefined)
  let edited = false
  if (settings.policies !== undefined && json !== undefined) {
    const { budget, context, policies } = settings
    const outcome = await applyRequestPolicies(budget, policies, {
      context,
      endpoint,
      json,
      modelId: model,
      summaryClient,
    })
    model = outcome.modelId
    edited = outcome.edited
  }
  const choices = endpoint === 'chat' && isCount(source.n) && source.n > 1 ? source.n : 1
  const requested = requestedMax(endpoint, source)
  const state: RequestCall = {
    call: undefined as unknown as BudgetCall,
    endpoint,
    body: undefined,
    editAttempt: undefined,
    hideUsageChunk: false,
    onStall: undefined,
  }
  const talks = endpoint !== 'embeddings' && json !== undefined
  state.call = await startBudgetCall(settings.budget, {
    context: settings.context,
    model,
    input: toCallInput(endpoint, source),
    maxOutputTokens: endpoint === 'embeddings' ? 0 : requested && requested.value * choices,
    defaultMaxOutputTokens:
      choices === 1
        ? settings.defaultMaxOutputTokens
        : choices * (settings.defaultMaxOutputTokens ?? settings.budget.defaultMaxOutputTokens),
    clamp: talks ? settings.clamp : false,
    warnings: talks && settings.injectWarnings,
    status: talks && settings.injectStatus,
    stallMs: settings.stallMs,
    stopAtReservation: settings.stopStreamsAtReservation,
    onStall: () => state.onStall?.(),
  })
  if (json === undefined || endpoint === 'embeddings') return state
  try {
    const { call } = state
    const cap =
      call.maxOutputTokens === undefined ? undefined : Math.max(1, Math.floor(call.maxOutputTokens / choices))
    const capped = cap !== undefined && cap !== requested?.value
    const options = json.stream_options as { include_usage?: unknown } | null | undefined
    // Chat streams report usage only when asked: ask, and hide the extra chunk from the caller.
    state.hideUsageChunk = endpoint === 'chat' && json.stream === true && options?.include_usage !== true
    if (!edited && call.notice === undefined && !capped && !state.hideUsageChunk) return state
    const edit = (attempt: Record<string, any>) => {
      if (call.notice !== undefined) injectNotice(endpoint, attempt, call.notice)
      if (capped) attempt[requested?.field ?? maxFields[endpoint][0]!] = cap
      if (state.hideUsageChunk) {
        const own = attempt.stream_options as Record<string, unknown> | null | undefined
        attempt.stream_options = { ...own, include_usage: true }
      }
      return JSON.stringify(attempt)
    }
    state.body = edit(json)
    if (!edited) {
      state.editAttempt = (serialized) => {
        const attempt = parseJson(serialized)
        return attempt === undefined ? undefined : edit(attempt)
      }
    }
    return state
  } catch (error) {
    await state.call.fail()
    throw error
  }
}

function parseJson(text: unknown): Record<string, any> | undefined {
  if (typeof text !== 'string') return undefined
  try {
    const json = JSON.parse(text)
    return isPlainObject(json) ? json : undefined
  } catch {
    return undefined
  }
}

/** The output limit the caller set, validated. */
function requestedMax(endpoint: Endpoint, body: Record<string, unknown>) {
  for (const field of maxFields[endpoint]) {
    const value = body[field]
    if (value == null) continue
    if (!isCount(value)) {
      throw new BudgetValidationError({ field, value, reason: 'expected a whole number of tokens ≥ 0' })
    }
    return { field, value }
  }
  return undefined
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0
}

/** True for `{ … }` literals (not FormData, streams, buffers or class instances). */
export function isPlainObject(value: unknown): value is Record<string, any> {
  if (value === null || typeof value !== 'object') return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}
