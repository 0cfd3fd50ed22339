import { type BudgetExceededDetails, BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import type { BudgetMode } from '../events/budget-events.ts'
import { EventHub } from '../events/event-hub.ts'
import { assertId } from '../limits/validate.ts'
import { buildReport } from '../reports/build-report.ts'
import type { LimitStatus } from '../reports/limit-status.ts'
import type {
  BudgetStore,
  StoreCommitRequest,
  StoreDenial,
  StoreReserveRequest,
} from '../stores/budget-store.ts'
import { emptyTally, type Tally } from '../usage/tally.ts'
import type { TokenUsage } from '../usage/token-usage.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import { WarningBoard } from '../warnings/warning-board.ts'
import { affordableOutput } from './affordable-output.ts'
import { applyRollover } from './apply-rollover.ts'
import { assertContext } from './assert-context.ts'
import type { Budget, Reservation, ReserveRequest, SettleResult } from './budget.ts'
import type { BudgetContext } from './budget-context.ts'
import { ChargeCounters } from './charge-counters.ts'
import { exceededDetails } from './charge-status.ts'
import { type ChildAllotment, type ChildBudget, createChildBudget } from './child-budget.ts'
import { type ChildCalls, rootParent } from './child-parent.ts'
import { commitTally, settleNow } from './commit-tally.ts'
import { conversationOf, randomId } from './conversation-of.ts'
import type { EngineConfig } from './engine-config.ts'
import { type BudgetGrant, type GrantResult, grantAllowance } from './grant-allowance.ts'
import type { ReservationOwner } from './open-reservation.ts'
import { reserveCall } from './reserve-call.ts'
import {
  type MissingIdPolicy,
  type ResetListener,
  type ResolvedCharge,
  resolveCharges,
  TrackingCharges,
} from './resolve-charges.ts'
import { statusOfCharges } from './status-of-charges.ts'
import { ThresholdWatch } from './threshold-watch.ts'
import { UsagePricing } from './usage-pricing.ts'
import { readUsage, type UsageSnapshot, validateRequest } from './validate-request.ts'

let instanceCount = 0
/** The low part of an id (see `nextId`): 0 … 1023 in base 36. */
const lowIds: readonly string[] = Array.from({ length: 1024 }, (_, i) => i.toString(36))

/** The budget behind `createBudget`: resolves charges, prices usage, talks to the store, posts warnings. */
export class BudgetEngine implements Budget, ReservationOwner {
  readonly mode: BudgetMode
  readonly store: BudgetStore
  readonly estimator: Budget['estimator']
  readonly defaultMaxOutputTokens: number
  /** @internal Validated options (child budgets inherit them). */
  readonly config: EngineConfig
  /** @internal */
  readonly events = new EventHub()
  /** @internal */
  readonly board = new WarningBoard()
  private readonly tracking: TrackingCharges
  /** @internal */
  readonly pricing: UsagePricing
  /** @internal */
  readonly thresholds: ThresholdWatch
  private readonly idPrefix: string
  private sequence = 0
  /** `idPrefix` and the sequence's high part (`sequence / 1024` in base 36, then `.`). */
  private idHigh = ''
  /** @internal */
  readonly counterLists: ChargeCounters
  /** @internal */
  readonly reserveRequest: StoreReserveRequest
  /** @internal */
  readonly commitRequest: StoreCommitRequest
  /** The charges `resolve` returned last (returned again while they are the same). */
  private lastCharges: ResolvedCharge[] | undefined

  /**
   * @internal A new unique id (reservations, holds, warnings): the prefix, the sequence's high part,
   * then its low 10 bits from a table (no number turned into a string on most calls).
   */
  nextId(): string {
    const sequence = this.sequence++
    const low = sequence & 1023
    if (low === 0) this.idHigh = `${this.idPrefix}${Math.floor(sequence / 1024).toString(36)}.`
    return this.idHigh + lowIds[low]!
  }

  constructor(config: EngineConfig) {
    this.config = config
    this.tracking = new TrackingCharges(config.track, config.trackPeriod, config.calendar)
    this.mode = config.mode
    this.store = config.store
    this.estimator = config.estimator
    this.defaultMaxOutputTokens = config.defaultMaxOutputTokens
    this.idPrefix = `${randomId()}${(instanceCount++).toString(36)}-`
    this.pricing = new UsagePricing(config.prices, config.unknownPrice, this.events)
    this.thresholds = new ThresholdWatch(this.board, this.events, config.mode, config.warningTemplate, () =>
      this.nextId(),
    )
    this.counterLists = new ChargeCounters(this.tracking)
    this.reserveRequest = {
      reservationId: '',
      now: 0,
      leaseExpiresAt: 0,
      counters: [],
      amount: emptyTally(),
      enforce: config.mode === 'enforce',
      once: true,
      watchedOnly: true,
    }
    this.commitRequest = {
      reservationId: '',
      now: 0,
      counters: [],
      usage: null,
      handle: undefined,
      drawFrom: undefined,
      once: false,
      watchedOnly: true,
    }
    this.commitNow =
      config.store.commitSync === undefined
        ? undefined
        : (reservation, usage) => settleNow(this, reservation, usage)
    this.systemClock = config.systemClock === true
  }

  on: Budget['on'] = (event, handler) => this.events.on(event, handler)

  notify: Budget['notify'] = (event, payload) => {
    if (event !== 'compressed' && event !== 'downgraded') {
      throw new BudgetValidationError({
        field: 'event',
        value: event,
        reason: "expected 'compressed' or 'downgraded'",
      })
    }
    if (this.events.has(event)) this.events.emit(event, payload as never)
  }

  cost(model: string, usage: TokenUsage): number | undefined {
    assertId(model, 'model')
    return this.pricing.costOf(model, readUsage(usage))
  }

  reserve(context: BudgetContext, request: ReserveRequest): Promise<Reservation> {
    return this.reserveThrough(context, request, undefined)
  }

  /** @internal A reservation (see `reserveCall`); for a child budget's call (`calls`), owned by the child. */
  reserveThrough(
    context: BudgetContext,
    request: ReserveRequest,
    calls: ChildCalls | undefined,
  ): Promise<Reservation> {
    return reserveCall(this, context, request, calls)
  }

  record(context: BudgetContext, usage: TokenUsage & { model?: string }): Promise<SettleResult> {
    return this.recordThrough(context, usage, undefined)
  }

  /** @internal A usage record; for a child budget (`calls`), on its charges, drawn from its holds. */
  async recordThrough(
    context: BudgetContext,
    usage: TokenUsage & { model?: string },
    calls: ChildCalls | undefined,
  ): Promise<SettleResult> {
    if (usage === null || typeof usage !== 'object') {
      throw new BudgetValidationError({ field: 'usage', value: usage, reason: 'expected a usage object' })
    }
    const model = usage.model
    if (model !== undefined) assertId(model, 'usage.model')
    const snapshot = readUsage(usage)
    const now = this.config.now()
    let charges: ResolvedCharge[]
    let drawFrom: string[][] | undefined
    if (calls === undefined) {
      charges = this.resolve(context, model, now)
      if (this.config.table.rollover) charges = await this.withRollover(charges, now)
    } else {
      const plan = await calls.plan(context, model, now)
      charges = plan.all
      context = plan.context
      drawFrom = calls.drawGroups()
    }
    // a fresh operation id: a redelivery of this record (a driver resending it) is applied once
    const id = this.nextId()
    return this.commitUsage(id, context, model, charges, snapshot, now, undefined, false, drawFrom)
  }

  /** A settle: reads the usage once (only that copy is used), then commits it. */
  commit(
    reservationId: string | null,
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    usage: TokenUsage,
    now: number,
    handle?: unknown,
    drawFrom?: readonly (readonly string[])[],
  ): Promise<SettleResult> {
    let snapshot: UsageSnapshot
    try {
      snapshot = readUsage(usage)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.commitUsage(reservationId, context, model, charges, snapshot, now, handle, true, drawFrom)
  }

  /** Shared by settle and record: adds a usage read by `readUsage`, detects threshold crossings. */
  private commitUsage(
    reservationId: string | null,
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    usage: UsageSnapshot,
    now: number,
    handle: unknown,
    reserved: boolean,
    drawFrom: readonly (readonly string[])[] | undefined,
  ): Promise<SettleResult> {
    let tally: Tally
    try {
      tally = this.pricing.usageTally(context, model, charges, usage)
    } catch (error) {
      return Promise.reject(error)
    }
    return commitTally(
      this,
      reservationId,
      context,
      model,
      charges,
      tally,
      now,
      handle,
      reserved,
      drawFrom,
      usage.estimated,
      usage.rejectedFields,
    )
  }

  /** @internal A settle of this budget's own reservation on a store with `commitSync`, without a promise. */
  readonly commitNow: ReservationOwner['commitNow']

  /** The budget's clock is the system's (`Date.now`): no step to check, no call a test could watch. */
  private readonly systemClock: boolean
  /** @internal The clock's latest reading by a reservation (see `settleTime`). */
  lastNow = 0

  /**
   * @internal The time a synchronous settle of these charges commits at. The clock, except when nothing
   * the settle adds depends on the time: on the system clock, with nothing tracked, no usage history
   * bucket and no `settled` listener (whose `at` is the settle's time), the settle's time only paces the
   * store's housekeeping (lapsing other leases, dropping ended periods), which every reserve and read
   * does again at its own time first. It is then the latest reservation's reading: one clock read less.
   */
  settleTime(charges: readonly ResolvedCharge[]): number {
    if (this.systemClock && this.counterLists.timeless(charges) && !this.events.has('settled'))
      return this.lastNow
    return this.config.now()
  }

  async release(
    reservationId: string,
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    handle?: unknown,
  ) {
    const request = {
      reservationId,
      now: this.config.now(),
      counters: this.counterLists.held(charges),
      usage: null,
      handle,
    }
    if (this.store.commitSync) this.store.commitSync(request)
    else await this.store.commit(request)
    if (this.events.has('released')) this.events.emit('released', { reservationId, context, model })
  }

  renew(reservationId: string, leaseMs: number, handle?: unknown): Promise<boolean> {
    const now = this.config.now()
    return this.store.renew({ reservationId, now, leaseExpiresAt: now + leaseMs, handle })
  }

  get leaseMs(): number {
    return this.config.leaseMs
  }

  get clock(): () => number {
    return this.config.now
  }

  takeWarnings(context: BudgetContext, options?: { model?: string }): BudgetWarning[] {
    const model = modelOption(options)
    if (this.board.size === 0) {
      assertContext(context, this.config.scopes)
      return []
    }
    const now = this.config.now()
    this.board.prune(now)
    return this.takeWarningsOf(this.resolve(context, model, now, 'omit'), context, now)
  }

  /** @internal The warnings of these charges not yet given to the context's conversation. */
  takeWarningsOf(charges: readonly ResolvedCharge[], context: BudgetContext, now: number): BudgetWarning[] {
    if (this.board.size === 0) return []
    const conversation = conversationOf(context)
    const warnings: BudgetWarning[] = []
    for (const resolved of charges) this.board.take(resolved.boardKey, conversation, warnings, now)
    return warnings
  }

  restoreWarnings(context: BudgetContext, warnings: readonly BudgetWarning[]): void {
    if (!Array.isArray(warnings)) {
      throw new BudgetValidationError({
        field: 'warnings',
        value: warnings,
        reason: 'expected the array takeWarnings returned',
      })
    }
    assertContext(context, this.config.scopes)
    this.board.restore(conversationOf(context), warnings)
  }

  async status(context: BudgetContext, options?: { model?: string }): Promise<LimitStatus[]> {
    const now = this.config.now()
    let charges = this.resolve(context, modelOption(options), now, 'omit')
    if (this.config.table.rollover) charges = await this.withRollover(charges, now)
    return this.statusOf(charges, now)
  }

  /** @internal The statuses of these charges (child budgets: their own limit and the parent's). */
  statusOf(charges: ResolvedCharge[], now: number): Promise<LimitStatus[]> {
    return statusOfCharges(this.store, charges, now)
  }

  async affordableOutputTokens(
    context: BudgetContext,
    request: { model?: string; inputTokens: number },
  ): Promise<number> {
    const { model, inputTokens } = validateRequest(request)
    const now = this.config.now()
    let charges = this.resolve(context, model, now)
    if (this.config.table.rollover) charges = await this.withRollover(charges, now)
    return this.affordableOf(charges, model, inputTokens, now)
  }

  /** @internal What these charges afford (child budgets: the counters a call of theirs holds). */
  async affordableOf(
    charges: ResolvedCharge[],
    model: string | undefined,
    inputTokens: number,
    now: number,
  ): Promise<number> {
    const states = await this.store.read({ now, counters: charges.map((c) => c.charge) })
    return affordableOutput(charges, states, inputTokens, this.pricing.outputPricing(model, inputTokens))
      .tokens
  }

  report(options?: { top?: number }) {
    return buildReport(
      this.store,
      this.config.table,
      this.config.calendar,
      this.config.now(),
      options?.top ?? 10,
      this.config.reportTrackPeriod,
    )
  }

  grant(context: BudgetContext, grant: BudgetGrant): Promise<GrantResult> {
    return grantAllowance(this, context, grant)
  }

  child(context: BudgetContext, allotment: ChildAllotment): Promise<ChildBudget> {
    return createChildBudget(rootParent(this), context, allotment)
  }

  dispose(): Promise<void> {
    return this.store.dispose?.() ?? Promise.resolve()
  }

  /** @internal Rollover limits' charges with what they carried into this period. */
  withRollover(charges: ResolvedCharge[], now: number): Promise<ResolvedCharge[]> {
    return applyRollover(this.store, this.config.calendar, charges, now)
  }

  /**
   * @internal The charges of a call with this context (checked first). A context without the id of a
   * scope with a refusing default limit throws `MissingScopeError`, unless `missing` is `omit` (reads:
   * `status`, `takeWarnings`) or `omit-model` (a child budget's hold).
   */
  resolve(
    context: BudgetContext,
    model: string | undefined,
    now: number,
    missing: MissingIdPolicy = 'refuse',
  ): ResolvedCharge[] {
    assertContext(context, this.config.scopes)
    const charges = resolveCharges(
      this.config.table,
      context,
      model,
      now,
      this.config.calendar,
      this.onReset,
      missing,
      this.lastCharges,
    )
    this.lastCharges = charges
    return charges
  }

  private readonly onReset: ResetListener = (limit, previousStart, start) => {
    if (this.events.has('reset')) {
      this.events.emit('reset', {
        limitName: limit.name,
        scope: limit.scope,
        period: limit.period.label,
        previousStart,
        start,
      })
    }
  }

  /** @internal */
  refuse(
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    denial: StoreDenial & { requested: number },
    output?: { inputOnly: number | undefined; maxOutputTokens: number },
  ): BudgetExceededError {
    const details: BudgetExceededDetails = exceededDetails(charges, denial)
    if (
      output?.inputOnly !== undefined &&
      output.maxOutputTokens > 0 &&
      output.inputOnly <= details.remaining
    ) {
      details.defaultOutputTokens = output.maxOutputTokens
    }
    const error = new BudgetExceededError(details)
    this.emitExceeded(context, model, charges, denial, true)
    return error
  }

  /** @internal */
  emitExceeded(
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    denial: StoreDenial & { requested: number },
    blocked: boolean,
  ): void {
    if (!this.events.has('exceeded')) return
    this.events.emit('exceeded', {
      ...exceededDetails(charges, denial),
      context,
      model,
      blocked,
      mode: this.mode,
    })
  }
}

/** The `model` of a read's options (`status`, `takeWarnings`), checked like a request's. */
function modelOption(options: { model?: string } | undefined): string | undefined {
  const model = options?.model
  if (model !== undefined) assertId(model, 'options.model')
  return model
}
