import type { Budget, Reservation, SettleResult } from '../budget/budget.ts'
import { type ReportedUsage, sanitizeUsage, type UsageEstimate } from '../usage/sanitize-usage.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import { rememberConversation } from './conversation-floors.ts'
import { OutputMeter } from './output-meter.ts'
import { CallWatch, unwatchProgress, watchProgress } from './watch-progress.ts'

/**
 * How a {@link BudgetCall} ended: still `open`, `finished` (settled), `failed` (released) or `stalled`
 * (no progress for `stallMs`: settled from its estimate, or released when it was never sent).
 *
 * @example
 * if (call.state === 'stalled') controller.error(new Error('stream stalled'))
 */
export type BudgetCallState = 'open' | 'finished' | 'failed' | 'stalled'

/** Minimal lease renewed by the watch (a timer every second costs more than it saves). */
const minimumLeaseMs = 2_000

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
  private sent = false
  private closing: Promise<SettleResult | undefined> | undefined
  /** `closing`, never rejecting (made once, for the later closes). */
  private closed: Promise<undefined> | undefined
  private readonly budget: Budget
  private readonly conversation: string | undefined
  private readonly warnings: readonly BudgetWarning[] | undefined
  private meter: OutputMeter | undefined
  private readonly watch: CallWatch | undefined
  private readonly stopAtReservation: boolean

  constructor(
    budget: Budget,
    reservation: Reservation,
    conversation: string | undefined,
    notice: { text: string; warnings: readonly BudgetWarning[] } | undefined,
    maxOutputTokens: number | undefined,
    stallMs: number,
    onStall: (() => void) | undefined,
    stopAtReservation = false,
  ) {
    this.budget = budget
    this.reservation = reservation
    this.inputTokens = reservation.inputTokens
    this.conversation = conversation
    this.notice = notice?.text
    this.warnings = notice?.warnings
    this.maxOutputTokens = maxOutputTokens
    this.stopAtReservation = stopAtReservation
    if (reservation.leaseMs >= minimumLeaseMs) {
      this.watch = new CallWatch(this, onStall)
      watchProgress(this.watch, stallMs, reservation.leaseMs)
    }
  }

  /** `open` until the first close. */
  get state(): BudgetCallState {
    return this.currentState
  }

  /** The output counted so far with {@link countOutput}. */
  get outputTokens(): number {
    return this.meter === undefined ? 0 : this.meter.tokens
  }

  /** Whether the counted output passed the reserved output. */
  get overReservation(): boolean {
    return this.outputTokens > this.reservation.maxOutputTokens
  }

  /**
   * Whether a stream should end now: started with `stopAtReservation`, still open, and its counted
   * output passed the reserved output (for providers that do not enforce the output limit).
   */
  get shouldStop(): boolean {
    return this.stopAtReservation && this.currentState === 'open' && this.overReservation
  }

  /**
   * Marks the call as waiting for its provider (the request sent, a stream read in flight): until the
   * next {@link progress} its lease stays alive however long the provider takes (a reasoning model
   * before its first token). A call never sent that stalls is released (nothing reached the provider);
   * a sent one is settled from its estimate.
   */
  markSent(): void {
    this.sent = true
    if (this.watch !== undefined) this.watch.waiting = 1
  }

  /**
   * Marks the call as making progress (a chunk arrived, a reader pulled): its lease stays alive; after
   * `stallMs` without progress (and not waiting for the provider) the call is closed as stalled.
   */
  progress(): void {
    if (this.watch !== undefined) this.watch.progress()
  }

  /** Counts streamed output text (one batching rule for every adapter) and marks progress. */
  countOutput(text: string): void {
    if (this.meter === undefined) this.meter = new OutputMeter(this.budget.estimator)
    this.meter.add(text)
    if (this.watch !== undefined) this.watch.progress()
  }

  /**
   * Settles the call: the provider's usage through `sanitizeUsage` (garbage → estimate and a
   * `usageRejected` event), else the estimate (input, and `outputTokens` or the counted output).
   * `outputText` is the response's text, counted when the provider reported no output (instead of
   * `outputTokens`); `conversation` names the chain a later call continues with (e.g. this response's
   * id). Only the
   * first close counts; a later one resolves to `undefined`, except on a call the stall watch released
   * before it was marked sent: one that turns out to have run (its result arrived late) is recorded then.
   */
  finish(
    reported?: ReportedUsage | null,
    options?: {
      outputTokens?: number | (() => number)
      outputText?: () => string
      conversation?: string
    },
  ): Promise<SettleResult | undefined> {
    try {
      const text = options?.outputText
      const output = text === undefined ? options?.outputTokens : () => this.countText(text())
      return this.settleOnce(reported, output, options?.conversation, 'finished')
    } catch (error) {
      return Promise.reject(error) // a throwing estimate rejects like any settle error; the call stays open
    }
  }

  /** Releases the call (it failed before using anything) and gives its warnings back. Never rejects. */
  fail(): Promise<void> {
    return this.release('failed')
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
    if (this.closing !== undefined) {
      // Released by the stall watch before it was known to be sent, yet it ran: its usage still counts.
      if (this.currentState !== 'stalled' || this.sent || state !== 'finished')
        return this.whenClosed(this.closing)
      this.sent = true
      const usage = sanitizeUsage(reported, { estimate: () => this.estimate(outputTokens) })
      return this.budget.record(this.reservation.context, { ...usage, model: this.reservation.model })
    }
    // The usage first: an estimate that throws leaves the call open (and watched) for close() or the stall.
    const usage = sanitizeUsage(reported, { estimate: () => this.estimate(outputTokens) })
    this.markClosed(state)
    if (!usage.estimated) {
      const total = usage.inputTokens + usage.outputTokens
      if (this.conversation !== undefined) rememberConversation(this.budget, this.conversation, total)
      if (next !== undefined) rememberConversation(this.budget, next, total)
    }
    this.closing = this.reservation.settle(usage)
    return this.closing
  }

  private countText(text: string): number {
    return text.length === 0 ? 0 : this.budget.estimator.count(text)
  }

  private estimate(outputTokens: number | (() => number) | undefined): UsageEstimate {
    const output =
      outputTokens === undefined
        ? this.outputTokens
        : typeof outputTokens === 'function'
          ? outputTokens()
          : outputTokens
    return { inputTokens: this.inputTokens, outputTokens: output }
  }

  private release(state: BudgetCallState): Promise<undefined> {
    if (this.closing === undefined) {
      this.markClosed(state)
      if (this.warnings !== undefined) this.budget.restoreWarnings(this.reservation.context, this.warnings)
      this.closing = this.reservation.release().then(ignore, ignore) // the lease frees it if the store is down
    }
    return this.whenClosed(this.closing)
  }

  /** The first close, never rejecting (made once for every later close). */
  private whenClosed(closing: Promise<unknown>): Promise<undefined> {
    if (this.closed === undefined) this.closed = closing.then(ignore, ignore)
    return this.closed
  }

  private markClosed(state: BudgetCallState): void {
    this.currentState = state
    if (this.watch !== undefined) unwatchProgress(this.watch)
  }

  /**
   * Settles a sent call that stalled from its estimate; when counting its output throws, from what it
   * reserved (a throw here would escape the watch's timer and end the process).
   */
  private settleStalled(): void {
    let settled: Promise<unknown>
    try {
      settled = this.settleOnce(undefined, undefined, undefined, 'stalled')
    } catch {
      settled = this.settleOnce(undefined, this.reservation.maxOutputTokens, undefined, 'stalled')
    }
    settled.catch(ignore)
  }

  /** @internal Closes a call the watch found stalled. */
  stalled(onStall: (() => void) | undefined): void {
    if (this.currentState !== 'open') return
    if (this.sent) this.settleStalled()
    else this.release('stalled')
    onStall?.()
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
