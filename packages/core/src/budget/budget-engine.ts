import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { UnknownPriceError } from '../errors/unknown-price-error.ts'
import type { BudgetMode } from '../events/budget-events.ts'
import { EventHub } from '../events/event-hub.ts'
import type { LimitTable } from '../limits/compile-limits.ts'
import type { Threshold } from '../limits/threshold.ts'
import { assertId } from '../limits/validate.ts'
import type { CalendarOptions } from '../periods/period-window.ts'
import type { PriceSource } from '../prices/price-source.ts'
import { buildReport } from '../reports/build-report.ts'
import type { LimitStatus } from '../reports/limit-status.ts'
import type { BudgetStore, CounterState, StoreDenial } from '../stores/budget-store.ts'
import type { Tally } from '../usage/tally.ts'
import type { TokenUsage } from '../usage/token-usage.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import { WarningBoard } from '../warnings/warning-board.ts'
import { affordableOutput, type OutputPricing } from './affordable-output.ts'
import { applyRollover } from './apply-rollover.ts'
import type { Budget, Reservation, ReserveRequest, SettleResult } from './budget.ts'
import type { BudgetContext } from './budget-context.ts'
import { exceededDetails, limitStatus } from './charge-status.ts'
import { type ChildAllotment, type ChildBudget, createChildBudget } from './child-budget.ts'
import { conversationOf, randomId } from './conversation-of.ts'
import { OpenReservation, type ReservationOwner } from './open-reservation.ts'
import { type ResolvedCharge, resolveCharges, TrackingCharges } from './resolve-charges.ts'
import { assertPositive, validateRequest, validateUsage } from './validate-request.ts'

/** Validated options of a budget. */
export interface EngineConfig {
  mode: BudgetMode
  unknownPrice: 'error' | 'warn' | 'ignore'
  table: LimitTable
  /** The default thresholds of limits (child budgets inherit them). */
  thresholds: Threshold[]
  calendar: CalendarOptions
  leaseMs: number
  defaultMaxOutputTokens: number
  track: readonly string[]
  prices: PriceSource | undefined
  now: () => number
  warningTemplate: (warning: Omit<BudgetWarning, 'message' | 'id'>) => string
  store: BudgetStore
  estimator: Budget['estimator']
}

let instanceCount = 0

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
  private readonly idPrefix: string
  private sequence = 0

  /** @internal A new unique id (reservations, holds). */
  nextId(): string {
    return this.idPrefix + this.sequence++
  }

  constructor(config: EngineConfig) {
    this.config = config
    this.tracking = new TrackingCharges(config.track)
    this.mode = config.mode
    this.store = config.store
    this.estimator = config.estimator
    this.defaultMaxOutputTokens = config.defaultMaxOutputTokens
    this.idPrefix = `${randomId()}${(instanceCount++).toString(36)}-`
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
    return this.config.prices?.cost(model, usage)
  }

  async reserve(context: BudgetContext, request: ReserveRequest): Promise<Reservation> {
    const { model, inputTokens, clamp } = validateRequest(request)
    let maxOutputTokens = request.maxOutputTokens ?? this.defaultMaxOutputTokens
    const leaseMs = request.leaseMs ?? this.config.leaseMs
    if (request.leaseMs !== undefined) assertPositive(request.leaseMs, 'request.leaseMs')
    const attempts = clamp === undefined ? 1 : 3
    for (let attempt = 1; ; attempt++) {
      const now = this.config.now()
      let charges = this.resolve(context, model, now)
      if (this.config.table.rollover) charges = await this.withRollover(charges, now)
      if (clamp !== undefined) {
        const states = await this.store.read({ now, counters: charges.map((c) => c.charge) })
        const affordable = affordableOutput(
          charges,
          states,
          inputTokens,
          this.outputPricing(model, inputTokens),
        )
        if (affordable.tokens < maxOutputTokens) {
          if (affordable.tokens < clamp.minOutputTokens && this.mode === 'enforce') {
            const denial = affordable.denial!
            const minimum = this.reserveAmount(context, model, charges, inputTokens, clamp.minOutputTokens)
            throw this.refuse(context, model, charges, { ...denial, requested: minimum[denial.unit] })
          }
          maxOutputTokens = Math.max(affordable.tokens, clamp.minOutputTokens)
        }
      }
      const amount = this.reserveAmount(context, model, charges, inputTokens, maxOutputTokens)
      const id = this.idPrefix + this.sequence++
      const expiresAt = now + leaseMs
      const reserveRequest = {
        reservationId: id,
        now,
        leaseExpiresAt: expiresAt,
        counters: charges.map((c) => c.charge),
        amount,
        enforce: this.mode === 'enforce',
      }
      const result = this.store.reserveSync?.(reserveRequest) ?? (await this.store.reserve(reserveRequest))
      if (!result.ok) {
        if (attempt < attempts) continue
        throw this.refuse(context, model, charges, {
          ...result.denial,
          requested: amount[result.denial.unit],
        })
      }
      if (result.exceeded !== undefined) {
        this.emitExceeded(
          context,
          model,
          charges,
          { ...result.exceeded, requested: amount[result.exceeded.unit] },
          false,
        )
      }
      if (this.mode !== 'dry-run') this.catchUpWarnings(charges, result.counters)
      if (this.events.has('reserved'))
        this.events.emit('reserved', { reservationId: id, context, model, amount })
      return new OpenReservation(
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
        result.handle,
      )
    }
  }

  async record(context: BudgetContext, usage: TokenUsage & { model?: string }): Promise<SettleResult> {
    if (usage === null || typeof usage !== 'object') {
      throw new BudgetValidationError({ field: 'usage', value: usage, reason: 'expected a usage object' })
    }
    if (usage.model !== undefined) assertId(usage.model, 'usage.model')
    const now = this.config.now()
    let charges = this.resolve(context, usage.model, now)
    if (this.config.table.rollover) charges = await this.withRollover(charges, now)
    return this.commit(null, context, usage.model, charges, usage, now)
  }

  /** Shared by settle and record: adds usage, detects threshold crossings. */
  async commit(
    reservationId: string | null,
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    usage: TokenUsage,
    now: number,
    handle?: unknown,
  ): Promise<SettleResult> {
    const tally = this.usageTally(context, model, charges, usage)
    const counters = charges.map((c) => c.charge)
    this.tracking.appendTo(counters, context, model)
    const commitRequest = { reservationId, now, counters, usage: tally, handle }
    const result = this.store.commitSync?.(commitRequest) ?? (await this.store.commit(commitRequest))
    const warnings = this.crossings(charges, result.counters, tally, context)
    if (this.events.has('settled')) {
      this.events.emit('settled', {
        reservationId,
        context,
        model,
        usage: tally,
        estimated: usage.estimated === true,
        at: now,
      })
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
    if (this.board.size === 0) return []
    const now = this.config.now()
    this.board.prune(now)
    const conversation = conversationOf(context)
    const warnings: BudgetWarning[] = []
    for (const resolved of this.resolve(context, options?.model, now))
      this.board.take(resolved.boardKey, conversation, warnings)
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
    if (context === null || typeof context !== 'object') {
      throw new BudgetValidationError({
        field: 'context',
        value: context,
        reason: 'expected an object such as { thread }',
      })
    }
    this.board.restore(conversationOf(context), warnings)
  }

  async status(context: BudgetContext, options?: { model?: string }): Promise<LimitStatus[]> {
    const now = this.config.now()
    let charges = this.resolve(context, options?.model, now)
    if (this.config.table.rollover) charges = await this.withRollover(charges, now)
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
    const states = await this.store.read({ now, counters: charges.map((c) => c.charge) })
    return affordableOutput(charges, states, inputTokens, this.outputPricing(model, inputTokens)).tokens
  }

  report(options?: { top?: number }) {
    return buildReport(
      this.store,
      this.config.table,
      this.config.calendar,
      this.config.now(),
      options?.top ?? 10,
    )
  }

  child(context: BudgetContext, allotment: ChildAllotment): Promise<ChildBudget> {
    return createChildBudget(this, context, allotment)
  }

  dispose(): Promise<void> {
    return this.store.dispose?.() ?? Promise.resolve()
  }

  /** @internal Rollover limits' charges with what they carried into this period. */
  withRollover(charges: ResolvedCharge[], now: number): Promise<ResolvedCharge[]> {
    return applyRollover(this.store, this.config.calendar, charges, now)
  }

  /** @internal */
  resolve(context: BudgetContext, model: string | undefined, now: number): ResolvedCharge[] {
    if (context === null || typeof context !== 'object') {
      throw new BudgetValidationError({
        field: 'context',
        value: context,
        reason: 'expected an object such as { thread }',
      })
    }
    return resolveCharges(
      this.config.table,
      context,
      model,
      now,
      this.config.calendar,
      (limit, previousStart, start) => {
        if (this.events.has('reset')) {
          this.events.emit('reset', {
            limitName: limit.name,
            scope: limit.scope,
            period: limit.period.label,
            previousStart,
            start,
          })
        }
      },
    )
  }

  private priceOf(
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    usage: TokenUsage,
  ) {
    const cost = model === undefined ? undefined : this.config.prices?.cost(model, usage)
    if (cost !== undefined) return { cost, unpriced: 0 }
    const costLimit = charges.find((c) => c.limit.usesCost)
    if (costLimit !== undefined && this.config.unknownPrice === 'error') {
      throw new UnknownPriceError({ model, limitName: costLimit.limit.name })
    }
    if (model !== undefined && this.config.unknownPrice !== 'ignore' && this.events.has('priceUnknown')) {
      this.events.emit('priceUnknown', { model, context })
    }
    return { cost: 0, unpriced: 1 }
  }

  private reserveAmount(
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    inputTokens: number,
    outputTokens: number,
  ): Tally {
    const needsCost = charges.some((c) => c.limit.usesCost)
    const cost = needsCost ? this.priceOf(context, model, charges, { inputTokens, outputTokens }).cost : 0
    return {
      tokens: inputTokens + outputTokens,
      inputTokens,
      outputTokens,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      costUsd: cost,
      requests: 1,
      estimatedRequests: 0,
      unpricedRequests: 0,
    }
  }

  private usageTally(
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    usage: TokenUsage,
  ): Tally {
    validateUsage(usage)
    const { cost, unpriced } = this.priceOf(context, model, charges, usage)
    return {
      tokens: usage.inputTokens + usage.outputTokens,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cachedInputTokens: usage.cachedInputTokens ?? 0,
      reasoningTokens: usage.reasoningTokens ?? 0,
      costUsd: cost,
      requests: 1,
      estimatedRequests: usage.estimated === true ? 1 : 0,
      unpricedRequests: unpriced,
    }
  }

  /** Input cost and output cost per million tokens of a call, for the USD limits' affordability. */
  private outputPricing(model: string | undefined, inputTokens: number): OutputPricing {
    const input = model === undefined ? undefined : this.cost(model, { inputTokens, outputTokens: 0 })
    const perMillion =
      model === undefined ? undefined : this.cost(model, { inputTokens: 0, outputTokens: 1_000_000 })
    if (input === undefined || perMillion === undefined)
      return { known: false, failClosed: this.config.unknownPrice === 'error' }
    return { known: true, inputCost: input, outputPerMillion: perMillion }
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

  /** Threshold crossings of one commit: before = after - usage, per limited unit. */
  /** @internal */
  crossings(
    charges: ResolvedCharge[],
    states: CounterState[],
    usage: Tally,
    context: BudgetContext,
  ): BudgetWarning[] {
    let warnings: BudgetWarning[] | undefined
    for (let index = 0; index < charges.length; index++) {
      const resolved = charges[index]!
      const state = states[index]!
      for (const { unit, cap } of resolved.capList) {
        const after = state.used[unit]
        const before = after - usage[unit]
        for (const threshold of resolved.limit.thresholds) {
          const level = threshold.at * cap
          if (before < level && after >= level) {
            const warning = this.warning(resolved, unit, cap, after, state.reserved[unit], threshold)
            warnings ??= []
            warnings.push(warning)
            if (this.mode !== 'dry-run')
              this.board.post(resolved.boardKey, warning, resolved.charge.expiresAt)
            if (this.events.has('warning')) this.events.emit('warning', { ...warning, context })
          }
        }
      }
    }
    return warnings ?? []
  }

  /**
   * Another process may have crossed a threshold: when a counter already stands past a threshold this
   * process has not posted, queue the warning for this process's conversations (no event: the
   * process that crossed it emitted one).
   */
  private catchUpWarnings(charges: ResolvedCharge[], states: CounterState[]): void {
    for (let index = 0; index < charges.length; index++) {
      const resolved = charges[index]!
      const thresholds = resolved.limit.thresholds
      if (thresholds.length === 0) continue
      const state = states[index]!
      for (const { unit, cap } of resolved.capList) {
        const used = state.used[unit]
        if (used < thresholds[0]!.at * cap) continue
        let highest = thresholds[0]!
        for (const threshold of thresholds) if (used >= threshold.at * cap) highest = threshold
        if (this.board.postedThreshold(resolved.boardKey, unit) >= highest.at) continue
        this.board.post(
          resolved.boardKey,
          this.warning(resolved, unit, cap, used, state.reserved[unit], highest),
          resolved.charge.expiresAt,
        )
      }
    }
  }

  private warning(
    resolved: ResolvedCharge,
    unit: BudgetWarning['unit'],
    cap: number,
    used: number,
    reserved: number,
    threshold: { at: number; severity: BudgetWarning['severity'] },
  ): BudgetWarning {
    const fields = {
      severity: threshold.severity,
      threshold: threshold.at,
      percentUsed: cap === 0 ? 100 : (used / cap) * 100,
      used,
      remaining: Math.max(0, cap - used - reserved),
      limit: cap,
      unit,
      scope: resolved.limit.scope,
      scopeId: resolved.scopeId,
      limitName: resolved.limit.name,
      period: resolved.limit.period.label,
      resetsAt: resolved.resetsAt,
    }
    return {
      id: `${this.idPrefix}w${this.sequence++}`,
      ...fields,
      message: this.config.warningTemplate(fields),
    }
  }
}
