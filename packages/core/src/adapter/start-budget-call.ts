import type { Budget, ReserveRequest } from '../budget/budget.ts'
import type { BudgetContext } from '../budget/budget-context.ts'
import { assertPositive } from '../budget/validate-request.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import { BudgetCall } from './budget-call.ts'
import { budgetNotice } from './budget-notice.ts'
import { conversationFloor } from './conversation-floors.ts'
import { type CallInput, estimateCallInput, messageOverheadTokens } from './estimate-call-input.ts'

const defaultStallMs = 60_000

/**
 * Options of {@link startBudgetCall}: one model call, described neutrally by the adapter.
 *
 * @example
 * const options: BudgetCallOptions = { context: { thread: 't-1' }, model: 'gpt-4o', input: { messages: ['Hi'] }, clamp: true }
 */
export interface BudgetCallOptions {
  /** Who the call is for (checked by the budget: unknown scopes are a `BudgetValidationError`). */
  context: BudgetContext
  /** The model id for prices and `model` limits. */
  model?: string
  /** The call's input, for the estimate. */
  input: CallInput
  /** The caller's own output limit; `undefined` when the caller set none. */
  maxOutputTokens?: number
  /** Output tokens reserved when the caller set none. @default budget.defaultMaxOutputTokens */
  defaultMaxOutputTokens?: number
  /** Lower the output limit to what the budget affords instead of refusing (see `ReserveRequest.clamp`). @default false */
  clamp?: ReserveRequest['clamp']
  /** Take the conversation's pending warnings into `notice`. @default true */
  warnings?: boolean
  /** Add a one-line status of every applicable limit to `notice` (one status read). @default false */
  status?: boolean
  /** A call without progress for this long is closed from its estimate. @default 60_000 (well under the lease) */
  stallMs?: number
  /** Told when the call stalled and was closed (e.g. to cancel the provider's stream). */
  onStall?: () => void
  /** Make `call.shouldStop` true once a stream's counted output passes the reservation. @default false */
  stopAtReservation?: boolean
}

/**
 * Reserves one model call and returns its lifecycle, the one object every adapter drives: the estimate
 * (input + notice), the notice to show the model, the output cap to send, output metering, lease
 * renewal while the call makes progress, and exactly one close. A refused call restores the warnings
 * it took and throws (`BudgetExceededError`, `MissingScopeError`, `BudgetValidationError`).
 *
 * @example
 * import { startBudgetCall } from '@tokenwarden/core/adapter'
 * const call = await startBudgetCall(budget, { context: { thread: 't-1' }, model: 'gpt-4o', input: { messages: [prompt] } })
 * try {
 *   call.markSent()
 *   const response = await provider({ system: call.notice, max_tokens: call.maxOutputTokens })
 *   await call.finish({ inputTokens: response.usage.input, outputTokens: response.usage.output })
 * } finally {
 *   await call.close() // releases and restores the warnings unless finished
 * }
 */
export function startBudgetCall(budget: Budget, options: BudgetCallOptions): Promise<BudgetCall> {
  try {
    const stallMs = options.stallMs ?? defaultStallMs
    assertPositive(stallMs, 'stallMs')
    const notice = budgetNotice(budget, options.context, {
      model: options.model,
      warnings: options.warnings !== false,
      status: options.status === true,
    })
    // Without a status line nothing is awaited before the reservation (no extra hop per call).
    return notice instanceof Promise
      ? notice.then((taken) => reserveCall(budget, options, taken, stallMs))
      : reserveCall(budget, options, notice, stallMs)
  } catch (error) {
    return Promise.reject(error)
  }
}

function reserveCall(
  budget: Budget,
  options: BudgetCallOptions,
  notice: { text: string; warnings: readonly BudgetWarning[] } | undefined,
  stallMs: number,
): Promise<BudgetCall> {
  const { context, model, input, maxOutputTokens, clamp = false } = options
  let inputTokens: number
  try {
    inputTokens = estimateCallInput(input, budget.estimator)
    if (notice !== undefined) inputTokens += messageOverheadTokens + budget.estimator.count(notice.text)
    if (input.conversation !== undefined) inputTokens += conversationFloor(budget, input.conversation)
  } catch (error) {
    if (notice !== undefined) budget.restoreWarnings(context, notice.warnings)
    throw error
  }
  const request = {
    model,
    inputTokens,
    maxOutputTokens: maxOutputTokens ?? options.defaultMaxOutputTokens ?? budget.defaultMaxOutputTokens,
    // A refusal that only the default output causes names the fix (BudgetExceededError.outputFromDefault).
    outputFromDefault: maxOutputTokens === undefined,
    clamp,
  }
  return budget.reserve(context, request).then(
    (reservation) => {
      // The caller's limit (possibly clamped) is sent; with none, the provider's own default stays unless
      // clamp is on: the reservation holds the default output, which the budget has room for.
      const cap = maxOutputTokens !== undefined || clamp !== false ? reservation.maxOutputTokens : undefined
      return new BudgetCall(
        budget,
        reservation,
        input.conversation,
        notice,
        cap,
        stallMs,
        options.onStall,
        options.stopAtReservation === true,
      )
    },
    (error: unknown) => {
      if (notice !== undefined) budget.restoreWarnings(context, notice.warnings)
      throw error
    },
  )
}
