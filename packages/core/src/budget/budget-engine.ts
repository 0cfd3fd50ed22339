import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import type { BudgetMode } from '../events/budget-events.ts'
import { EventHub } from '../events/event-hub.ts'
import type { LimitTable } from '../limits/compile-limits.ts'
import type { Threshold } from '../limits/threshold.ts'
import { assertId } from '../limits/validate.ts'
import type { PeriodSpec } from '../periods/period.ts'
import type { CalendarOptions } from '../periods/period-window.ts'
import type { PriceSource } from '../prices/price-source.ts'
import { buildReport } from '../reports/build-report.ts'
import type { LimitStatus } from '../reports/limit-status.ts'
import type {
  BudgetStore,
  StoreCommitRequest,
  StoreCommitResult,
  StoreDenial,
  StoreReserveRequest,
  StoreReserveResult,
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
import { exceededDetails, limitStatus } from './charge-status.ts'
import { type ChildAllotment, type ChildBudget, createChildBudget } from './child-budget.ts'
import { type ChildCalls, rootParent } from './child-parent.ts'
import { conversationOf, randomId } from './conversation-of.ts'
import { OpenReservation, type ReservationOwner } from './open-reservation.ts'
import {
  type MissingIdPolicy,
  type ResetListener,
  type ResolvedCharge,
  resolveCharges,
  TrackingCharges,
} from './resolve-charges.ts'
import { ThresholdWatch } from './threshold-watch.ts'
import { UsagePricing } from './usage-pricing.ts'
import { type RequestSnapshot, readUsage, type UsageSnapshot, validateRequest } from './validate-request.ts'

/** Validated options of a budget. */
export interface EngineConfig {
  mode: BudgetMode
  unknownPrice: 'error' | 'warn' | 'ignore'
  table: LimitTable
  /** Every scope the budget knows (built-in and declared); contexts may use no other key. */
  scopes: ReadonlySet<string>
  /** The default thresholds of limits (child budgets inherit them). */
  thresholds: Threshold[]
  calendar: CalendarOptions
  leaseMs: number
  defaultMaxOutputTokens: number
  track: readonly string[]
  /** The period of the tracking counters. */
  trackPeriod: PeriodSpec
  /**
   * The track period reports read; `undefined` when the budget was given neither limits nor a
   * `trackPeriod` (e.g. a reader of a store others write): reports read the latest tracked period.
   */
  reportTrackPeriod: PeriodSpec | undefined
  prices: PriceSource | undefined
  now: () => number
  warningTemplate: (warning: Omit<BudgetWarning, 'message' | 'id'>) => string
  store: BudgetStore
  estimator: Budget['estimator']
}

let instanceCount = 0
const emptyAmount = emptyTally()

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
  private readonly board = new WarningBoard()
  private readonly tracking: TrackingCharges
  private readonly pricing: UsagePricing
  private readonly thresholds: ThresholdWatch
  private readonly idPrefix: string
  private sequence = 0
  private readonly counterLists: ChargeCounters
  private readonly reserveRequest: StoreReserveRequest
  private readonly commitRequest: StoreCommitRequest
  /** The charges `resolve` returned last (returned again while they are the same). */
  private lastCharges: ResolvedCharge[] | undefined

  /** @internal A new unique id (reservations, holds). */
  nextId(): string {
    return this.idPrefix + this.sequence++
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
      amount: emptyAmount,
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
        : (reservationId, context, model, charges, usage, now, handle) =>
            this.settleNow(reservationId, context, model, charges, usage, now, handle)
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

  /**
   * @internal A reservation on this budget's store; for a child budget's call (`calls`), on the
   * counters its plan holds, owned (settled) by the child.
   */
  reserveThrough(
    context: BudgetContext,
    request: ReserveRequest,
    calls: ChildCalls | undefined,
  ): Promise<Reservation> {
    let snapshot: RequestSnapshot
    try {
      snapshot = validateRequest(request)
      // one synchronous path on an in-process store: no promise but the one returned
      if (
        calls === undefined &&
        snapshot.clamp === undefined &&
        this.store.reserveSync !== undefined &&
        !this.config.table.rollover
      )
        return Promise.resolve(this.reserveNow(context, snapshot))
    } catch (error) {
      return Promise.reject(error)
    }
    return this.reserveLater(context, snapshot, calls)
  }

  /** A reservation without clamp, rollover or child plan, on a store with `reserveSync`. */
  private reserveNow(context: BudgetContext, snapshot: RequestSnapshot): Reservation {
    const { model, inputTokens } = snapshot
    const maxOutputTokens = snapshot.maxOutputTokens ?? this.defaultMaxOutputTokens
    const leaseMs = snapshot.leaseMs ?? this.config.leaseMs
    const now = this.config.now()
    const charges = this.resolve(context, model, now)
    const amount = this.pricing.reserveAmount(context, model, charges, inputTokens, maxOutputTokens)
    const id = this.idPrefix + this.sequence++
    const expiresAt = now + leaseMs
    // one request object for every call: the store reads it synchronously and keeps nothing of it
    const request = this.reserveRequest
    request.reservationId = id
    request.now = now
    request.leaseExpiresAt = expiresAt
    request.counters = this.counterLists.held(charges)
    request.amount = amount
    const result = this.store.reserveSync!(request)
    request.amount = emptyAmount
    if (!result.ok) {
      throw this.refuse(context, model, charges, { ...result.denial, requested: amount[result.denial.unit] })
    }
    return this.opened(
      result,
      this,
      id,
      context,
      model,
      inputTokens,
      maxOutputTokens,
      amount,
      expiresAt,
      leaseMs,
      charges,
    )
  }

  private async reserveLater(
    context: BudgetContext,
    snapshot: RequestSnapshot,
    calls: ChildCalls | undefined,
  ): Promise<Reservation> {
    const { model, inputTokens, clamp } = snapshot
    let maxOutputTokens = snapshot.maxOutputTokens ?? this.defaultMaxOutputTokens
    const leaseMs = snapshot.leaseMs ?? this.config.leaseMs
    const attempts = clamp === undefined ? 1 : 3
    for (let attempt = 1; ; attempt++) {
      const now = this.config.now()
      let charges: ResolvedCharge[]
      let all: ResolvedCharge[]
      if (calls === undefined) {
        charges = this.resolve(context, model, now)
        if (this.config.table.rollover) charges = await this.withRollover(charges, now)
        all = charges
      } else {
        const plan = await calls.plan(context, model, now)
        charges = plan.held
        all = plan.all
        context = plan.context
      }
      if (clamp !== undefined) {
        const states = await this.store.read({ now, counters: charges.map((c) => c.charge) })
        const affordable = affordableOutput(
          charges,
          states,
          inputTokens,
          this.pricing.outputPricing(model, inputTokens),
        )
        if (affordable.tokens < maxOutputTokens) {
          if (affordable.tokens < clamp.minOutputTokens && this.mode === 'enforce') {
            const denial = affordable.denial!
            const minimum = this.pricing.reserveAmount(
              context,
              model,
              all,
              inputTokens,
              clamp.minOutputTokens,
            )
            throw this.refuse(context, model, charges, { ...denial, requested: minimum[denial.unit] })
          }
          maxOutputTokens = Math.max(affordable.tokens, clamp.minOutputTokens)
        }
      }
      const amount = this.pricing.reserveAmount(context, model, all, inputTokens, maxOutputTokens)
      const id = this.idPrefix + this.sequence++
      const expiresAt = now + leaseMs
      const reserveRequest = {
        reservationId: id,
        now,
        leaseExpiresAt: expiresAt,
        counters: charges.map((c) => c.charge),
        amount,
        enforce: this.mode === 'enforce',
        once: true,
      }
      const result = this.store.reserveSync?.(reserveRequest) ?? (await this.store.reserve(reserveRequest))
      if (!result.ok) {
        if (attempt < attempts) continue
        throw this.refuse(context, model, charges, {
          ...result.denial,
          requested: amount[result.denial.unit],
        })
      }
      const owner = calls?.owner ?? this
      return this.opened(
        result,
        owner,
        id,
        context,
        model,
        inputTokens,
        maxOutputTokens,
        amount,
        expiresAt,
        leaseMs,
        all,
        charges,
      )
    }
  }

  /** A reservation the store held: reports a passed cap (warn/dry-run), catches up thresholds, emits. */
  private opened(
    result: StoreReserveResult & { ok: true },
    owner: ReservationOwner,
    id: string,
    context: BudgetContext,
    model: string | undefined,
    inputTokens: number,
    maxOutputTokens: number,
    amount: Tally,
    expiresAt: number,
    leaseMs: number,
    all: ResolvedCharge[],
    held: ResolvedCharge[] = all,
  ): OpenReservation {
    if (result.exceeded !== undefined) {
      this.emitExceeded(
        context,
        model,
        held,
        { ...result.exceeded, requested: amount[result.exceeded.unit] },
        false,
      )
    }
    // no states back (watchedOnly): no counter stands at a threshold
    if (this.mode !== 'dry-run' && result.counters.length !== 0)
      this.thresholds.catchUp(held, result.counters)
    if (this.events.has('reserved'))
      this.events.emit('reserved', { reservationId: id, context, model, amount })
    return new OpenReservation(
      owner,
      id,
      context,
      model,
      inputTokens,
      maxOutputTokens,
      amount,
      expiresAt,
      leaseMs,
      all,
      result.handle,
    )
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
    const id = this.idPrefix + this.sequence++
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
    return this.commitTally(
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

  /** @internal Adds a priced usage (child budgets close calls in flight at their reservation with it). */
  async commitTally(
    reservationId: string | null,
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    tally: Tally,
    now: number,
    handle?: unknown,
    reserved = true,
    drawFrom?: readonly (readonly string[])[],
    estimated = false,
    rejectedFields?: UsageSnapshot['rejectedFields'],
  ): Promise<SettleResult> {
    const counters = this.counterLists.settled(charges, context, model, now)
    // a record's id is new and sent once (in-process stores need not remember it)
    const commitRequest = { reservationId, now, counters, usage: tally, handle, drawFrom, once: !reserved }
    const result = this.store.commitSync?.(commitRequest) ?? (await this.store.commit(commitRequest))
    return this.committed(
      result,
      reservationId,
      context,
      model,
      charges,
      tally,
      now,
      reserved,
      estimated,
      rejectedFields,
    )
  }

  /** @internal A settle of this budget's own reservation on a store with `commitSync`, without a promise. */
  readonly commitNow: ReservationOwner['commitNow']

  private settleNow(
    reservationId: string,
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    usage: TokenUsage,
    now: number,
    handle: unknown,
  ): SettleResult {
    const snapshot = readUsage(usage)
    const tally = this.pricing.usageTally(context, model, charges, snapshot)
    const request = this.commitRequest
    request.reservationId = reservationId
    request.now = now
    request.counters = this.counterLists.settled(charges, context, model, now)
    request.usage = tally
    request.handle = handle
    const result = this.store.commitSync!(request)
    request.usage = null
    request.handle = undefined
    return this.committed(
      result,
      reservationId,
      context,
      model,
      charges,
      tally,
      now,
      true,
      snapshot.estimated,
      snapshot.rejectedFields,
    )
  }

  /** What a commit crossed (warnings posted and returned), and its events. */
  private committed(
    result: StoreCommitResult,
    reservationId: string | null,
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    tally: Tally,
    now: number,
    reserved: boolean,
    estimated: boolean,
    rejectedFields: UsageSnapshot['rejectedFields'],
  ): SettleResult {
    let warnings: BudgetWarning[]
    // no states back (watchedOnly): no counter stands at a threshold, so none was crossed
    if (result.counters.length === 0) warnings = []
    else if (result.alreadyApplied === true) {
      // a retried settle whose first commit landed: nothing was added now; post what it crossed
      warnings = []
      if (this.mode !== 'dry-run') this.thresholds.catchUp(charges, result.counters)
    } else warnings = this.thresholds.crossings(charges, result.counters, tally, context)
    if (warnings.length > 0) this.board.prune(now)
    const eventId = reserved ? reservationId : null
    if (this.events.has('settled')) {
      this.events.emit('settled', {
        reservationId: eventId,
        context,
        model,
        usage: tally,
        estimated,
        at: now,
      })
    }
    if (rejectedFields !== undefined && this.events.has('usageRejected')) {
      this.events.emit('usageRejected', { reservationId: eventId, context, model, fields: rejectedFields })
    }
    return { warnings, usage: tally, costUsd: tally.costUsd }
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
      counters: charges.map((c) => c.charge),
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
  async statusOf(charges: ResolvedCharge[], now: number): Promise<LimitStatus[]> {
    const states = await this.store.read({ now, counters: charges.map((c) => c.charge) })
    const statuses: LimitStatus[] = []
    charges.forEach((resolved, index) => {
      for (const { unit, cap } of resolved.capList) {
        const state = states[index]!
        statuses.push(limitStatus(resolved, unit, cap, state.used[unit], state.reserved[unit]))
      }
    })
    return statuses
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
  ): BudgetExceededError {
    const error = new BudgetExceededError(exceededDetails(charges, denial))
    this.emitExceeded(context, model, charges, denial, true)
    return error
  }

  private emitExceeded(
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
