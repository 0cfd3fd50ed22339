import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { ReservationClosedError } from '../errors/reservation-closed-error.ts'
import { UnknownPriceError } from '../errors/unknown-price-error.ts'
import { heuristicEstimator } from '../estimation/estimate-tokens.ts'
import type { BudgetMode } from '../events/budget-events.ts'
import { EventHub } from '../events/event-hub.ts'
import { formatWarning } from '../format/format-warning.ts'
import { compileLimits, type LimitTable } from '../limits/compile-limits.ts'
import { defaultThresholds, parseThresholds } from '../limits/threshold.ts'
import { assertAmount, assertId } from '../limits/validate.ts'
import { assertTimeZone, type CalendarOptions } from '../periods/period-window.ts'
import type { PriceSource } from '../prices/price-source.ts'
import { staticPrices } from '../prices/static-prices.ts'
import { buildReport } from '../reports/build-report.ts'
import type { LimitStatus } from '../reports/limit-status.ts'
import type { BudgetStore, CounterState, StoreDenial } from '../stores/budget-store.ts'
import { memoryStore } from '../stores/memory-store.ts'
import type { Tally } from '../usage/tally.ts'
import type { TokenUsage } from '../usage/token-usage.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import { WarningBoard } from '../warnings/warning-board.ts'
import type { Budget, BudgetOptions, Reservation, ReserveRequest, SettleResult } from './budget.ts'
import type { BudgetContext } from './budget-context.ts'
import { type ResolvedCharge, resolveCharges, trackingCharges } from './resolve-charges.ts'

const modes = new Set<BudgetMode>(['enforce', 'warn', 'dry-run'])
const unknownPricePolicies = new Set(['error', 'warn', 'ignore'])

/**
 * Creates a budget: limits in tokens, USD and requests over scopes and periods, enforced atomically with
 * reserve → settle/release, with thresholds that warn once per crossing.
 *
 * @example
 * const budget = createBudget({
 *   limits: [
 *     { scope: 'thread', tokens: 100_000 },
 *     { scope: 'agent', id: 'researcher', costUsd: 5, period: 'day' },
 *     { scope: 'global', requests: 10_000, period: 'month' },
 *   ],
 *   prices: genaiPrices(), // from @tokenwarden/prices
 * })
 * const r = await budget.reserve({ agent: 'researcher', thread: 't-1' }, { model: 'gpt-4o', inputTokens: 1200, maxOutputTokens: 800 })
 * const { warnings } = await r.settle({ inputTokens: 1100, outputTokens: 350 })
 */
export function createBudget(options: BudgetOptions): Budget {
  if (options === null || typeof options !== 'object') {
    throw new BudgetValidationError({
      field: 'options',
      value: options,
      reason: 'expected an options object',
    })
  }
  const mode = options.mode ?? 'enforce'
  if (!modes.has(mode)) {
    throw new BudgetValidationError({
      field: 'mode',
      value: mode,
      reason: "expected 'enforce', 'warn' or 'dry-run'",
    })
  }
  const unknownPrice = options.unknownPrice ?? 'error'
  if (!unknownPricePolicies.has(unknownPrice)) {
    throw new BudgetValidationError({
      field: 'unknownPrice',
      value: unknownPrice,
      reason: "expected 'error', 'warn' or 'ignore'",
    })
  }
  const thresholds =
    options.thresholds === undefined
      ? [...defaultThresholds]
      : parseThresholds(options.thresholds, 'thresholds')
  const table = compileLimits(options.limits, thresholds)
  const timeZone = options.timeZone ?? 'UTC'
  assertTimeZone(timeZone, 'timeZone')
  const weekStartsOn = options.weekStartsOn ?? 1
  if (!Number.isInteger(weekStartsOn) || weekStartsOn < 0 || weekStartsOn > 6) {
    throw new BudgetValidationError({
      field: 'weekStartsOn',
      value: weekStartsOn,
      reason: 'expected 0 (Sunday) to 6',
    })
  }
  const leaseMs = options.leaseMs ?? 600_000
  assertPositive(leaseMs, 'leaseMs')
  const defaultMaxOutputTokens = options.defaultMaxOutputTokens ?? 4096
  assertAmount(defaultMaxOutputTokens, 'defaultMaxOutputTokens', { integer: true })
  const track = options.track ?? ['agent', 'user', 'model', 'global']
  if (!Array.isArray(track))
    throw new BudgetValidationError({ field: 'track', value: track, reason: 'expected an array of scopes' })
  for (const [index, scope] of track.entries()) assertId(scope, `track[${index}]`)
  const prices = resolvePrices(options.prices)
  const now = options.now ?? Date.now
  if (typeof now !== 'function')
    throw new BudgetValidationError({ field: 'now', value: now, reason: 'expected a function' })
  const warningTemplate = options.messages?.warning ?? formatWarning

  return new BudgetEngine({
    mode,
    unknownPrice,
    table,
    calendar: { timeZone, weekStartsOn },
    leaseMs,
    defaultMaxOutputTokens,
    track,
    prices,
    now,
    warningTemplate,
    store: options.store ?? memoryStore(),
    estimator: options.estimator ?? heuristicEstimator,
  })
}

interface EngineConfig {
  mode: BudgetMode
  unknownPrice: 'error' | 'warn' | 'ignore'
  table: LimitTable
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

class BudgetEngine implements Budget {
  readonly mode: BudgetMode
  readonly store: BudgetStore
  readonly estimator: Budget['estimator']
  readonly defaultMaxOutputTokens: number
  private readonly config: EngineConfig
  private readonly events = new EventHub()
  private readonly board = new WarningBoard()
  private readonly idPrefix: string
  private sequence = 0

  constructor(config: EngineConfig) {
    this.config = config
    this.mode = config.mode
    this.store = config.store
    this.estimator = config.estimator
    this.defaultMaxOutputTokens = config.defaultMaxOutputTokens
    this.idPrefix = `${randomId()}${(instanceCount++).toString(36)}`
  }

  on: Budget['on'] = (event, handler) => this.events.on(event, handler)

  cost(model: string, usage: TokenUsage): number | undefined {
    return this.config.prices?.cost(model, usage)
  }

  async reserve(context: BudgetContext, request: ReserveRequest): Promise<Reservation> {
    const { model, inputTokens, clamp } = validateRequest(request, this.defaultMaxOutputTokens)
    let maxOutputTokens = request.maxOutputTokens ?? this.defaultMaxOutputTokens
    const leaseMs = request.leaseMs ?? this.config.leaseMs
    if (request.leaseMs !== undefined) assertPositive(request.leaseMs, 'request.leaseMs')
    const attempts = clamp === undefined ? 1 : 3
    for (let attempt = 1; ; attempt++) {
      const now = this.config.now()
      const charges = this.resolve(context, model, now)
      if (clamp !== undefined) {
        const states = await this.store.read({ now, counters: charges.map((c) => c.charge) })
        const affordable = this.affordable(charges, states, model, inputTokens)
        if (affordable.tokens < maxOutputTokens) {
          if (affordable.tokens < clamp.minOutputTokens && this.mode === 'enforce') {
            throw this.refuse(context, model, charges, affordable.denial!, now)
          }
          maxOutputTokens = Math.max(affordable.tokens, clamp.minOutputTokens)
        }
      }
      const amount = this.reserveAmount(context, model, charges, inputTokens, maxOutputTokens)
      const id = `${this.idPrefix}-${(this.sequence++).toString(36)}`
      const expiresAt = now + leaseMs
      const result = await this.store.reserve({
        reservationId: id,
        now,
        leaseExpiresAt: expiresAt,
        counters: charges.map((c) => c.charge),
        amount,
        enforce: this.mode === 'enforce',
      })
      if (!result.ok) {
        if (attempt < attempts) continue
        throw this.refuse(
          context,
          model,
          charges,
          { ...result.denial, requested: amount[result.denial.unit] },
          now,
        )
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
      if (this.mode !== 'dry-run') this.catchUpWarnings(charges, result.counters, context)
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
        charges,
      )
    }
  }

  async record(context: BudgetContext, usage: TokenUsage & { model?: string }): Promise<SettleResult> {
    if (usage === null || typeof usage !== 'object') {
      throw new BudgetValidationError({ field: 'usage', value: usage, reason: 'expected a usage object' })
    }
    if (usage.model !== undefined) assertId(usage.model, 'usage.model')
    const now = this.config.now()
    const charges = this.resolve(context, usage.model, now)
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
  ): Promise<SettleResult> {
    const tally = this.usageTally(context, model, charges, usage)
    const counters = charges.map((c) => c.charge)
    for (const charge of trackingCharges(this.config.track, context, model)) counters.push(charge)
    const result = await this.store.commit({ reservationId, now, counters, usage: tally })
    const warnings = this.crossings(charges, result.counters, tally, context)
    if (this.events.has('settled')) {
      this.events.emit('settled', {
        reservationId,
        context,
        model,
        usage: tally,
        estimated: usage.estimated === true,
      })
    }
    return { warnings, usage: tally, costUsd: tally.costUsd }
  }

  async release(
    reservationId: string,
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
  ) {
    await this.store.commit({
      reservationId,
      now: this.config.now(),
      counters: charges.map((c) => c.charge),
      usage: null,
    })
    if (this.events.has('released')) this.events.emit('released', { reservationId, context, model })
  }

  renew(reservationId: string, leaseMs: number): Promise<boolean> {
    const now = this.config.now()
    return this.store.renew({ reservationId, now, leaseExpiresAt: now + leaseMs })
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

  async status(context: BudgetContext, options?: { model?: string }): Promise<LimitStatus[]> {
    const now = this.config.now()
    const charges = this.resolve(context, options?.model, now)
    const states = await this.store.read({ now, counters: charges.map((c) => c.charge) })
    const statuses: LimitStatus[] = []
    charges.forEach((resolved, index) => {
      for (const { unit, cap } of resolved.limit.capList) {
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
    const { model, inputTokens } = validateRequest(request, this.defaultMaxOutputTokens)
    const now = this.config.now()
    const charges = this.resolve(context, model, now)
    const states = await this.store.read({ now, counters: charges.map((c) => c.charge) })
    return this.affordable(charges, states, model, inputTokens).tokens
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

  dispose(): Promise<void> {
    return this.store.dispose?.() ?? Promise.resolve()
  }

  private resolve(context: BudgetContext, model: string | undefined, now: number): ResolvedCharge[] {
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

  /** The largest output affordable on every counter, and the counter that binds. */
  private affordable(
    charges: ResolvedCharge[],
    states: CounterState[],
    model: string | undefined,
    inputTokens: number,
  ) {
    let tokens = Number.POSITIVE_INFINITY
    let denial: (StoreDenial & { requested: number }) | undefined
    charges.forEach((resolved, index) => {
      const state = states[index]!
      for (const { unit, cap } of resolved.limit.capList) {
        const used = state.used[unit]
        const reserved = state.reserved[unit]
        const left = cap - used - reserved
        let fits: number
        switch (unit) {
          case 'tokens':
            fits = left - inputTokens
            break
          case 'outputTokens':
            fits = left
            break
          case 'inputTokens':
            fits = left >= inputTokens ? Number.POSITIVE_INFINITY : -1
            break
          case 'requests':
            fits = left >= 1 ? Number.POSITIVE_INFINITY : -1
            break
          case 'costUsd': {
            const input = model === undefined ? undefined : this.cost(model, { inputTokens, outputTokens: 0 })
            const perMillion =
              model === undefined ? undefined : this.cost(model, { inputTokens: 0, outputTokens: 1_000_000 })
            if (input === undefined || perMillion === undefined)
              fits = this.config.unknownPrice === 'error' ? -1 : Infinity
            else
              fits =
                perMillion === 0 ? (left >= input ? Infinity : -1) : ((left - input) * 1_000_000) / perMillion
            break
          }
        }
        fits = Math.floor(fits + 1e-9)
        if (fits < tokens) {
          tokens = fits
          denial = {
            index,
            unit,
            used,
            reserved,
            requested: unit === 'requests' ? 1 : unit === 'inputTokens' ? inputTokens : 0,
          }
        }
      }
    })
    return { tokens: Math.max(0, tokens), denial }
  }

  private refuse(
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    denial: StoreDenial & { requested: number },
    now: number,
  ): BudgetExceededError {
    void now
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
  private crossings(
    charges: ResolvedCharge[],
    states: CounterState[],
    usage: Tally,
    context: BudgetContext,
  ): BudgetWarning[] {
    let warnings: BudgetWarning[] | undefined
    for (let index = 0; index < charges.length; index++) {
      const resolved = charges[index]!
      const state = states[index]!
      for (const { unit, cap } of resolved.limit.capList) {
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
  private catchUpWarnings(charges: ResolvedCharge[], states: CounterState[], context: BudgetContext): void {
    void context
    for (let index = 0; index < charges.length; index++) {
      const resolved = charges[index]!
      const thresholds = resolved.limit.thresholds
      if (thresholds.length === 0) continue
      const state = states[index]!
      for (const { unit, cap } of resolved.limit.capList) {
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
      id: `${this.idPrefix}-w${(this.sequence++).toString(36)}`,
      ...fields,
      message: this.config.warningTemplate(fields),
    }
  }
}

class OpenReservation implements Reservation {
  state: Reservation['state'] = 'open'

  constructor(
    private readonly engine: BudgetEngine,
    readonly id: string,
    readonly context: BudgetContext,
    readonly model: string | undefined,
    readonly inputTokens: number,
    readonly maxOutputTokens: number,
    readonly amount: Tally,
    public expiresAt: number,
    private readonly charges: ResolvedCharge[],
  ) {}

  async settle(usage: TokenUsage): Promise<SettleResult> {
    if (this.state !== 'open') throw new ReservationClosedError({ reservationId: this.id, state: this.state })
    this.state = 'settled'
    try {
      return await this.engine.commit(
        this.id,
        this.context,
        this.model,
        this.charges,
        usage,
        this.engine.clock(),
      )
    } catch (error) {
      this.state = 'open'
      throw error
    }
  }

  async release(): Promise<void> {
    if (this.state !== 'open') return
    this.state = 'released'
    try {
      await this.engine.release(this.id, this.context, this.model, this.charges)
    } catch (error) {
      this.state = 'open'
      throw error
    }
  }

  async renew(leaseMs = this.engine.leaseMs): Promise<boolean> {
    assertPositive(leaseMs, 'leaseMs')
    if (this.state !== 'open') return false
    const renewed = await this.engine.renew(this.id, leaseMs)
    if (renewed) this.expiresAt = this.engine.clock() + leaseMs
    return renewed
  }
}

function exceededDetails(charges: ResolvedCharge[], denial: StoreDenial & { requested: number }) {
  const resolved = charges[denial.index]!
  const limit = resolved.limit.caps[denial.unit]!
  return {
    scope: resolved.limit.scope,
    scopeId: resolved.scopeId,
    limitName: resolved.limit.name,
    unit: denial.unit,
    limit,
    used: denial.used,
    reserved: denial.reserved,
    requested: denial.requested,
    remaining: Math.max(0, limit - denial.used - denial.reserved),
    period: resolved.limit.period.label,
    resetsAt: resolved.resetsAt,
  }
}

function limitStatus(
  resolved: ResolvedCharge,
  unit: LimitStatus['unit'],
  cap: number,
  used: number,
  reserved: number,
): LimitStatus {
  return {
    limitName: resolved.limit.name,
    scope: resolved.limit.scope,
    scopeId: resolved.scopeId,
    unit,
    limit: cap,
    used,
    reserved,
    remaining: Math.max(0, cap - used - reserved),
    percentUsed: cap === 0 ? (used > 0 ? 100 : 0) : (used / cap) * 100,
    period: resolved.limit.period.label,
    periodStart: resolved.periodStart,
    resetsAt: resolved.resetsAt,
  }
}

function validateRequest(
  request: { model?: string; inputTokens: number; clamp?: ReserveRequest['clamp']; maxOutputTokens?: number },
  _default: number,
) {
  if (request === null || typeof request !== 'object') {
    throw new BudgetValidationError({
      field: 'request',
      value: request,
      reason: 'expected { model, inputTokens, maxOutputTokens }',
    })
  }
  if (request.model !== undefined) assertId(request.model, 'request.model')
  assertAmount(request.inputTokens, 'request.inputTokens', { integer: true })
  if (request.maxOutputTokens !== undefined)
    assertAmount(request.maxOutputTokens, 'request.maxOutputTokens', { integer: true })
  let clamp: { minOutputTokens: number } | undefined
  if (request.clamp === true) clamp = { minOutputTokens: 1 }
  else if (request.clamp !== undefined && request.clamp !== false) {
    const min = request.clamp.minOutputTokens ?? 1
    assertAmount(min, 'request.clamp.minOutputTokens', { integer: true })
    clamp = { minOutputTokens: min }
  }
  return { model: request.model, inputTokens: request.inputTokens, clamp }
}

function validateUsage(usage: TokenUsage): void {
  if (usage === null || typeof usage !== 'object') {
    throw new BudgetValidationError({ field: 'usage', value: usage, reason: 'expected a usage object' })
  }
  assertAmount(usage.inputTokens, 'usage.inputTokens', { integer: true })
  assertAmount(usage.outputTokens, 'usage.outputTokens', { integer: true })
  for (const [field, part, whole] of [
    ['cachedInputTokens', usage.cachedInputTokens, usage.inputTokens],
    ['cacheWriteInputTokens', usage.cacheWriteInputTokens, usage.inputTokens],
    ['reasoningTokens', usage.reasoningTokens, usage.outputTokens],
  ] as const) {
    if (part === undefined) continue
    assertAmount(part, `usage.${field}`, { integer: true })
    if (part > whole) {
      throw new BudgetValidationError({
        field: `usage.${field}`,
        value: part,
        reason: `must not exceed ${field === 'reasoningTokens' ? 'outputTokens' : 'inputTokens'} (${whole}), which includes it`,
      })
    }
  }
}

function assertPositive(value: unknown, field: string): asserts value is number {
  assertAmount(value, field)
  if (value === 0) throw new BudgetValidationError({ field, value, reason: 'expected a duration > 0 ms' })
}

function resolvePrices(prices: BudgetOptions['prices']): PriceSource | undefined {
  if (prices === undefined) return undefined
  if (prices === null || typeof prices !== 'object') {
    throw new BudgetValidationError({
      field: 'prices',
      value: prices,
      reason: 'expected a price source or { source, models }',
    })
  }
  if ('cost' in prices && typeof prices.cost === 'function') return prices
  const { source, models } = prices as { source?: PriceSource; models?: Record<string, never> }
  if (source !== undefined && typeof source?.cost !== 'function') {
    throw new BudgetValidationError({
      field: 'prices.source',
      value: source,
      reason: 'expected an object with cost(model, usage)',
    })
  }
  const overrides = models === undefined ? undefined : staticPrices(models, 'prices.models')
  if (overrides === undefined) return source
  if (source === undefined) return overrides
  return { cost: (model, usage) => overrides.cost(model, usage) ?? source.cost(model, usage) }
}

/** The conversation a context's warnings are delivered to: its thread, else the whole context. */
function conversationOf(context: BudgetContext): string {
  if (context.thread !== undefined) return `thread\u0000${context.thread}`
  let key = ''
  for (const scope of Object.keys(context).sort()) {
    const value = context[scope]
    if (value !== undefined) key += `${scope}\u0000${value}\u0001`
  }
  return key
}

function randomId(): string {
  const bytes = new Uint8Array(6)
  globalThis.crypto.getRandomValues(bytes)
  let id = ''
  for (const byte of bytes) id += byte.toString(36).padStart(2, '0')
  return id
}
