import {
  type Budget,
  type BudgetContext,
  BudgetValidationError,
  type BudgetWarning,
  type Reservation,
} from '@tokenwarden/core'
import type OpenAI from 'openai'
import { applyBudgetPolicies, type OpenAIPolicies } from './apply-budget-policies.ts'
import type { Endpoint } from './endpoint-of.ts'
import { estimateRequestTokens } from './estimate-request-tokens.ts'

/** How a budgeted client treats its calls (set by `withBudget`, scoped by `withContext`). */
export interface CallSettings {
  budget: Budget
  context: BudgetContext
  clamp: false | { minOutputTokens: number }
  injectWarnings: boolean
  onError: (error: unknown) => void
  /** Compression and downgrade; `undefined` when off (and for summary calls). */
  policies?: OpenAIPolicies | undefined
}

/** One budgeted call: its reservation and the edits its request body gets. */
export interface BudgetedCall {
  endpoint: Endpoint
  stream: boolean
  reservation: Reservation
  /** Warning texts to show the model (already taken from the budget). */
  warnings: string[]
  /** The warnings taken, to give back with `budget.restoreWarnings` when the call fails. */
  takenWarnings: BudgetWarning[]
  /** A lowered maximum to write into the body (clamping). */
  maxOutput: { field: string; value: number } | undefined
  /** True when the wrapper asked a chat stream for usage the caller did not ask for. */
  addsUsageChunk: boolean
  /** A cheaper model to write into the body (downgrade). */
  model?: string
  /** Compressed chat messages to write into the body. */
  messages?: Record<string, unknown>[]
}

const noWarnings: BudgetWarning[] = []
const noWarningTexts: string[] = []

const maxFields: Record<Endpoint, readonly string[]> = {
  chat: ['max_completion_tokens', 'max_tokens'],
  responses: ['max_output_tokens'],
  embeddings: [],
}

/**
 * Prepares a call before any HTTP request: applies the compression and downgrade policies (summary
 * calls go through `summaryClient()`), estimates its input, reserves it (clamping the output
 * maximum when asked), and takes the warnings to inject. Throws `BudgetExceededError` (nothing
 * reserved) when the budget cannot afford it, `BudgetValidationError` for a malformed maximum.
 *
 * @example
 * const call = await planCall(settings, 'chat', body, () => summaryClient)
 */
export async function planCall(
  settings: CallSettings,
  endpoint: Endpoint,
  original: Record<string, unknown>,
  summaryClient?: () => OpenAI,
): Promise<BudgetedCall> {
  const { budget, context, clamp, policies } = settings
  const outcome =
    policies === undefined || summaryClient === undefined
      ? undefined
      : await applyBudgetPolicies(policies, { budget, context, endpoint, body: original, summaryClient })
  // The body as it will be sent (the caller's object is never changed).
  const body =
    outcome?.model === undefined && outcome?.messages === undefined
      ? original
      : {
          ...original,
          ...(outcome.model === undefined ? {} : { model: outcome.model }),
          ...(outcome.messages === undefined ? {} : { messages: outcome.messages }),
        }
  const model = typeof body.model === 'string' && body.model.length > 0 ? body.model : undefined
  const choices = endpoint === 'chat' && isCount(body.n) && body.n > 1 ? body.n : 1
  const requested = requestedMax(endpoint, body)
  const perChoice = endpoint === 'embeddings' ? 0 : (requested?.value ?? budget.defaultMaxOutputTokens)
  const reservation = await budget.reserve(context, {
    model,
    inputTokens: estimateRequestTokens(endpoint, body, budget.estimator),
    maxOutputTokens: perChoice * choices,
    clamp: endpoint === 'embeddings' ? false : clamp,
  })
  let maxOutput: BudgetedCall['maxOutput']
  const affordable = Math.floor(reservation.maxOutputTokens / choices)
  if (endpoint !== 'embeddings' && affordable < perChoice) {
    maxOutput = { field: requested?.field ?? maxFields[endpoint][0]!, value: Math.max(1, affordable) }
  }
  const takenWarnings =
    settings.injectWarnings && endpoint !== 'embeddings'
      ? budget.takeWarnings(context, model === undefined ? undefined : { model })
      : noWarnings
  const stream = body.stream === true
  const streamOptions = body.stream_options as { include_usage?: unknown } | null | undefined
  return {
    endpoint,
    stream,
    reservation,
    warnings: takenWarnings.length === 0 ? noWarningTexts : takenWarnings.map((warning) => warning.message),
    takenWarnings,
    maxOutput,
    addsUsageChunk: endpoint === 'chat' && stream && streamOptions?.include_usage !== true,
    model: outcome?.model,
    messages: outcome?.messages,
  }
}

/** The output maximum the caller set, validated. */
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
