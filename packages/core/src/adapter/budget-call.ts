import type { Budget, Reservation, ReserveRequest, SettleResult } from '../budget/budget.ts'
import type { BudgetContext } from '../budget/budget-context.ts'
import { assertPositive } from '../budget/validate-request.ts'
import { type ReportedUsage, sanitizeUsage } from '../usage/sanitize-usage.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import { budgetNotice } from './budget-notice.ts'
import { conversationFloor, rememberConversation } from './conversation-floors.ts'
import { type CallInput, estimateCallInput, messageOverheadTokens } from './estimate-call-input.ts'
import { OutputMeter } from './output-meter.ts'
import { type WatchedCall, watchProgress } from './watch-progress.ts'

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
}

/**
 * How a {@link BudgetCall} ended: still `open`, `finished` (settled), `failed` (released) or `stalled`
 * (no progress for `stallMs`: settled from its estimate).
 *
 * @example
 * if (call.state === 'stalled') controller.error(new Error('stream stalled'))
 */
export type BudgetCallState = 'open' | 'finished' | 'failed' | 'stalled'

/** Minimal lease renewed by the watch (a timer every second costs more than it saves). */
const minimumLeaseMs = 2_000
const defaultStallMs = 60_000

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
 *   const response = await call.wait(provider({ system: call.notice, max_tokens: call.maxOutputTokens }))
 *   await call.finish({ inputTokens: response.usage.input, outputTokens: response.usage.output })
 * } finally {
 *   await call.close() // releases and restores the warnings unless finished
 * }
 */
export async function startBudgetCall(budget: Budget, options: BudgetCallOptions): Promise<BudgetCall> {
  const { context, model, input, maxOutputTokens, clamp = false } = options
  const stallMs = options.stallMs ?? defaultStallMs
  assertPositive(stallMs, 'stallMs')
  const notice = await budgetNotice(budget, context, {
    model,
    warnings: options.warnings !== false,
    status: options.status === true,
  })
  let inputTokens = estimateCallInput(input, budget.estimator)
  if (notice !== undefined) inputTokens += messageOverheadTokens + budget.estimator.count(notice.text)
  if (input.conversation !== undefined) inputTokens += conversationFloor(budget, input.conversation)
  let reservation: Reservation
  try {
    reservation = await budget.reserve(context, {
      model,
      inputTokens,
      maxOutputTokens: maxOutputTokens ?? options.defaultMaxOutputTokens ?? budget.defaultMaxOutputTokens,
      clamp,
    })
  } catch (error) {
    if (notice !== undefined) budget.restoreWarnings(context, notice.warnings)
    throw error
  }
  // The caller's limit (possibly clamped) is sent; with none, the provider's own default stays unless
  // clamp is on: the reservation holds the default output, which the budget has room for.
  const cap = maxOutputTokens !== undefined || clamp !== false ? reservation.maxOutputTokens : undefined
  return new BudgetCall(budget, reservation, input.conversation, notice, cap, stallMs, options.onStall)
}

/**
 * One reserved model call (made by {@link startBudgetCall}). Every exit closes the reservation exactly
 * once: `finish` settles (the provider's usage through `sanitizeUsage`, else the estimate), `fail`
 * releases and gives the warnings back, `close` fails a call that is still open (for `finally` and
 * `await using`), and a call that makes no progress for `stallMs` finishes from its estimate.
 *
 * @example
 * call.countOutput(delta) // per streamed chunk: meters and counts as progress
 * await call.finish(reportedUsage) // later calls of finish, fail and close do nothing
 */
export class BudgetCall {
  readonly reservation: Reservation
  /** The call's estimated input (prompt, notice and chained conversation). */
  readonly inputTokens: number
  /** Text to show the model (pending warnings, status), counted in the estimate; `undefined` when none. */
  readonly notice: string | undefined
  /** The output limit to send the provider; `undefined`: leave the caller's (absent) limit alone. */
  readonly maxOutputTokens: number | undefined
  private currentState: BudgetCallState = 'open'
  private closing: Promise<SettleResult | undefined> | undefined
  private readonly budget: Budget
  private readonly conversation: string | undefined
  private readonly warnings: readonly BudgetWarning[] | undefined
  private readonly meter: OutputMeter
  private readonly watch: WatchedCall | undefined
  private readonly unwatch: (() => void) | undefined

  constructor(
    budget: Budget,
    reservation: Reservation,
    conversation: string | undefined,
    notice: { text: string; warnings: readonly BudgetWarning[] } | undefined,
    maxOutputTokens: number | undefined,
    stallMs: number,
    onStall: (() => void) | undefined,
  ) {
    this.budget = budget
    this.reservation = reservation
    this.inputTokens = reservation.inputTokens
    this.conversation = conversation
    this.notice = notice?.text
    this.warnings = notice?.warnings
    this.maxOutputTokens = maxOutputTokens
    this.meter = new OutputMeter(budget.estimator)
    if (reservation.leaseMs >= minimumLeaseMs) {
      this.watch = {
        progressed: false,
        waiting: 0,
        idleTicks: 0,
        ticksSinceRenewal: 0,
        renew: () => {
          reservation.renew().catch(() => {}) // a failed renewal leaves the lease to lapse; settle still counts
        },
        stall: () => {
          if (this.currentState !== 'open') return
          this.settleOnce(undefined, undefined, undefined, 'stalled').catch(() => {})
          onStall?.()
        },
      }
      this.unwatch = watchProgress(this.watch, stallMs, reservation.leaseMs)
    }
  }

  /** `open` until the first close. */
  get state(): BudgetCallState {
    return this.currentState
  }

  /** The output counted so far with {@link countOutput}. */
  get outputTokens(): number {
    return this.meter.tokens
  }

  /** Whether the counted output passed the reserved output (for stopping streams at the reservation). */
  get overReservation(): boolean {
    return this.meter.tokens > this.reservation.maxOutputTokens
  }

  /** Marks the call as making progress (a chunk arrived, a reader pulled): its lease stays alive. */
  progress(): void {
    if (this.watch !== undefined) this.watch.progressed = true
  }

  /** Counts streamed output text (one batching rule for every adapter) and marks progress. */
  countOutput(text: string): void {
    this.meter.add(text)
    if (this.watch !== undefined) this.watch.progressed = true
  }

  /** Awaits a provider call that streams nothing (the call counts as making progress until it settles). */
  async wait<T>(pending: PromiseLike<T>): Promise<T> {
    const watch = this.watch
    if (watch === undefined) return pending
    watch.waiting += 1
    try {
      return await pending
    } finally {
      watch.waiting -= 1
      watch.progressed = true
    }
  }

  /**
   * Settles the call: the provider's usage through `sanitizeUsage` (garbage → estimate and a
   * `usageRejected` event), else the estimate (input, and `outputTokens` or the counted output).
   * `conversation` names the chain a later call continues with (e.g. this response's id). Only the
   * first close counts; a later one resolves to `undefined`.
   */
  finish(
    reported?: ReportedUsage | null,
    options?: { outputTokens?: number | (() => number); conversation?: string },
  ): Promise<SettleResult | undefined> {
    return this.settleOnce(reported, options?.outputTokens, options?.conversation, 'finished')
  }

  /** Releases the call (it failed before using anything) and gives its warnings back. Never rejects. */
  fail(): Promise<void> {
    if (this.closing === undefined) {
      this.markClosed('failed')
      if (this.warnings !== undefined) this.budget.restoreWarnings(this.reservation.context, this.warnings)
      this.closing = this.reservation.release().then(
        () => undefined,
        () => undefined, // the lease frees it if the store is down
      )
    }
    return this.closing.then(ignore, ignore)
  }

  /** Fails the call if it is still open (a `finally` for code that may throw); else does nothing. */
  close(): Promise<void> {
    return this.fail()
  }

  private settleOnce(
    reported: ReportedUsage | null | undefined,
    outputTokens: number | (() => number) | undefined,
    next: string | undefined,
    state: BudgetCallState,
  ): Promise<SettleResult | undefined> {
    if (this.closing !== undefined) return this.closing.then(ignore, ignore)
    this.markClosed(state)
    const usage = sanitizeUsage(reported, {
      estimate: () => ({
        inputTokens: this.inputTokens,
        outputTokens:
          outputTokens === undefined
            ? this.meter.tokens
            : typeof outputTokens === 'function'
              ? outputTokens()
              : outputTokens,
      }),
    })
    if (!usage.estimated) {
      const total = usage.inputTokens + usage.outputTokens
      if (this.conversation !== undefined) rememberConversation(this.budget, this.conversation, total)
      if (next !== undefined) rememberConversation(this.budget, next, total)
    }
    this.closing = this.reservation.settle(usage)
    return this.closing
  }

  private markClosed(state: BudgetCallState): void {
    this.currentState = state
    this.unwatch?.()
  }
}

function ignore(): undefined {
  return undefined
}

const asyncDispose = (Symbol as { asyncDispose?: symbol }).asyncDispose
if (asyncDispose !== undefined) {
  Object.defineProperty(BudgetCall.prototype, asyncDispose, {
    value(this: BudgetCall) {
      return this.close()
    },
  })
}
