import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { ReservationClosedError } from '../errors/reservation-closed-error.ts'
import { type CompiledLimit, compileLimits } from '../limits/compile-limits.ts'
import type { LimitUnit } from '../limits/limit-unit.ts'
import { parseThresholds, type Threshold } from '../limits/threshold.ts'
import { assertAmount, assertId, assertObject } from '../limits/validate.ts'
import { memoryStore } from '../stores/memory-store.ts'
import { emptyTally, type Tally, tallyFields } from '../usage/tally.ts'
import type { TokenUsage } from '../usage/token-usage.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import type { Budget, Reservation, ReserveRequest } from './budget.ts'
import type { BudgetContext } from './budget-context.ts'
import { BudgetEngine } from './budget-engine.ts'
import { ChildReservation } from './child-reservation.ts'
import { type AllotmentCaps, closeAllotment, type HeldAllotment, holdAllotment } from './hold-allotment.ts'
import { assertPositive } from './validate-request.ts'

/**
 * The allotment of `budget.child(context, allotment)`: what the sub-agent may spend, carved from what the
 * parent has left for `context`. Give at least one unit, and every unit the parent caps for that
 * context (a `tokens` allotment also covers `inputTokens` and `outputTokens`).
 *
 * @example
 * const allotment: ChildAllotment = { tokens: 20_000, costUsd: 0.5, name: 'researcher' }
 */
export interface ChildAllotment {
  tokens?: number
  inputTokens?: number
  outputTokens?: number
  costUsd?: number
  requests?: number
  /** Names the child's limit (`child:<name>`) and its warnings. @default context.agent ?? 'child' */
  name?: string
  /** Thresholds of the child's own allotment. @default the parent's thresholds */
  thresholds?: readonly (number | Threshold)[]
  /** Lease of the hold on the parent; renewed by the child's activity. @default the parent's leaseMs */
  leaseMs?: number
  /** Grant what the parent has left when that is less than asked, instead of refusing. @default false */
  clamp?: boolean
}

/** What ending a child charged to its parent. */
export interface ChildBudgetResult {
  /** Everything the child used (calls still in flight counted at their reservation). */
  usage: Tally
  /** Threshold crossings on the parent's limits. */
  warnings: BudgetWarning[]
}

/**
 * A budget carved from a parent's remainder (see `budget.child`). It is a full `Budget`: give it to an
 * adapter (`budgetMiddleware({ budget: child })`). While it lives, the parent shows the allotment as
 * reserved (a lease the child renews with its activity); `end()` charges the parent what the child used
 * and returns the rest. If the process crashes, the lease lapses after `leaseMs` and the whole allotment
 * returns to the parent: usage the child made is then not charged to the parent, exactly as for a call
 * in flight during a crash. If the lease lapses while the process lives (an idle child), the child
 * charges the parent what it used so far and holds its remainder again, or stops when the parent no
 * longer has it.
 *
 * @example
 * const researcher = await budget.child({ agent: 'coordinator', thread: 't-1' }, { tokens: 20_000, name: 'researcher' })
 * const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: budgetMiddleware({ budget: researcher }) })
 * // … run the sub-agent …
 * const { usage } = await researcher.end() // the parent is charged usage.tokens, the rest returns
 */
export interface ChildBudget extends Budget {
  readonly name: string
  /** The allotment's caps (grown by `extend`). */
  readonly caps: Readonly<AllotmentCaps>
  readonly state: 'open' | 'ended'
  /** Charges the parent the child's usage and returns the unused allotment. Idempotent. */
  end(): Promise<ChildBudgetResult>
  /** Carves more from the parent (atomic; throws the parent's `BudgetExceededError` when it lacks it). */
  extend(more: Omit<ChildAllotment, 'name' | 'thresholds' | 'leaseMs' | 'clamp'>): Promise<void>
  /** Renews the hold on the parent now (the child also renews it on its own activity). */
  renew(): Promise<boolean>
}

const units: readonly LimitUnit[] = ['tokens', 'inputTokens', 'outputTokens', 'costUsd', 'requests']

/**
 * Creates a child of `parent` (what `budget.child` runs).
 *
 * @example
 * const child = await createChildBudget(engine, { agent: 'coordinator' }, { tokens: 5000 })
 */
export async function createChildBudget(
  parent: BudgetEngine,
  context: BudgetContext,
  allotment: ChildAllotment,
): Promise<ChildBudget> {
  assertObject(allotment, 'allotment')
  const caps: AllotmentCaps = {}
  for (const unit of units) {
    const value = allotment[unit]
    if (value === undefined) continue
    assertAmount(value, `allotment.${unit}`, { integer: unit !== 'costUsd' })
    caps[unit] = value
  }
  if (Object.keys(caps).length === 0) {
    throw new BudgetValidationError({
      field: 'allotment',
      value: allotment,
      reason: 'give at least one of tokens, inputTokens, outputTokens, costUsd, requests',
    })
  }
  const leaseMs = allotment.leaseMs ?? parent.config.leaseMs
  assertPositive(leaseMs, 'allotment.leaseMs')
  const name: string = (allotment.name as string | undefined) ?? context?.agent ?? 'child'
  assertId(name, 'allotment.name')
  const thresholds =
    allotment.thresholds === undefined
      ? parent.config.thresholds
      : parseThresholds(allotment.thresholds, 'allotment.thresholds')
  const hold = await holdAllotment(parent, context, caps, {
    leaseMs,
    clamp: allotment.clamp === true,
    field: 'allotment',
  })
  const limitName = `child:${name}`
  const template = parent.config.warningTemplate
  const engine = new BudgetEngine({
    ...parent.config,
    table: compileLimits([{ scope: 'global', name: limitName, ...hold.caps }], thresholds),
    thresholds,
    store: memoryStore(),
    track: [],
    warningTemplate: (fields) =>
      template(fields.limitName === limitName ? { ...fields, scope: 'sub-agent', scopeId: name } : fields),
  })
  return new OpenChildBudget(parent, engine, context, name, hold, leaseMs)
}

class OpenChildBudget implements ChildBudget {
  state: ChildBudget['state'] = 'open'
  private holds: HeldAllotment[]
  /** What was already charged to the parent (after a lapsed lease). */
  private charged = emptyTally()
  private renewing: Promise<void> | undefined
  private result: Promise<ChildBudgetResult> | undefined
  private readonly limit: CompiledLimit
  readonly caps: AllotmentCaps

  constructor(
    private readonly parent: BudgetEngine,
    private readonly engine: BudgetEngine,
    private readonly context: BudgetContext,
    readonly name: string,
    hold: HeldAllotment & { caps: AllotmentCaps },
    private readonly leaseMs: number,
  ) {
    this.holds = [hold]
    this.caps = { ...hold.caps }
    this.limit = engine.config.table.limits[0]!
  }

  get mode() {
    return this.engine.mode
  }
  get store() {
    return this.engine.store
  }
  get estimator() {
    return this.engine.estimator
  }
  get defaultMaxOutputTokens() {
    return this.engine.defaultMaxOutputTokens
  }

  async reserve(context: BudgetContext, request: ReserveRequest): Promise<Reservation> {
    this.assertOpen()
    await this.keepAlive()
    return new ChildReservation(await this.engine.reserve(context, request), () => this.keepAlive())
  }

  async record(context: BudgetContext, usage: TokenUsage & { model?: string }) {
    this.assertOpen()
    await this.keepAlive()
    return this.engine.record(context, usage)
  }

  takeWarnings: Budget['takeWarnings'] = (context, options) => this.engine.takeWarnings(context, options)
  restoreWarnings: Budget['restoreWarnings'] = (context, warnings) =>
    this.engine.restoreWarnings(context, warnings)
  status: Budget['status'] = (context, options) => this.engine.status(context, options)
  affordableOutputTokens: Budget['affordableOutputTokens'] = (context, request) =>
    this.engine.affordableOutputTokens(context, request)
  report: Budget['report'] = (options) => this.engine.report(options)
  cost: Budget['cost'] = (model, usage) => this.engine.cost(model, usage)
  on: Budget['on'] = (event, handler) => this.engine.on(event, handler)

  child(context: BudgetContext, allotment: ChildAllotment): Promise<ChildBudget> {
    this.assertOpen()
    return createChildBudget(this.engine, context, allotment)
  }

  async dispose(): Promise<void> {
    await this.end()
  }

  end(): Promise<ChildBudgetResult> {
    this.result ??= this.close()
    return this.result
  }

  async extend(more: Omit<ChildAllotment, 'name' | 'thresholds' | 'leaseMs' | 'clamp'>): Promise<void> {
    this.assertOpen()
    assertObject(more, 'more')
    const extra: AllotmentCaps = {}
    for (const unit of units) {
      const value = more[unit]
      if (value === undefined) continue
      assertAmount(value, `more.${unit}`, { integer: unit !== 'costUsd' })
      if (this.caps[unit] === undefined) {
        throw new BudgetValidationError({
          field: `more.${unit}`,
          value,
          reason: `the child has no ${unit} allotment to extend`,
        })
      }
      extra[unit] = value
    }
    const hold = await holdAllotment(this.parent, this.context, extra, {
      leaseMs: this.leaseMs,
      clamp: false,
      field: 'more',
    })
    this.holds.push(hold)
    for (const unit of Object.keys(extra) as LimitUnit[]) this.setCap(unit, this.caps[unit]! + extra[unit]!)
  }

  async renew(): Promise<boolean> {
    if (this.state !== 'open') return false
    await this.keepAlive(true)
    return this.holds.length > 0
  }

  private assertOpen(): void {
    if (this.state === 'open') return
    throw new ReservationClosedError({
      reservationId: this.holds[0]?.id ?? this.name,
      state: 'settled',
      message: `the child budget "${this.name}" has ended`,
    })
  }

  /** Renews the holds past half their lease; re-bases them when one lapsed. */
  private keepAlive(force = false): Promise<void> {
    const now = this.parent.config.now()
    const due = this.holds.some((hold) => now >= hold.expiresAt - this.leaseMs / 2)
    if ((!due && !force) || this.holds.length === 0) return this.renewing ?? Promise.resolve()
    this.renewing ??= this.renewHolds().finally(() => {
      this.renewing = undefined
    })
    return this.renewing
  }

  private async renewHolds(): Promise<void> {
    let lapsed = false
    for (const hold of this.holds) {
      const now = this.parent.config.now()
      if (await this.parent.renew(hold.id, this.leaseMs)) hold.expiresAt = now + this.leaseMs
      else lapsed = true
    }
    if (lapsed && this.state === 'open') await this.rebase()
  }

  /**
   * A hold lapsed and returned to the parent: charge the parent what the child used so far, then hold
   * the remainder again, or stop the child when the parent no longer has it.
   */
  private async rebase(): Promise<void> {
    const total = await this.totalUsage()
    await this.charge(total)
    const remainder: AllotmentCaps = {}
    let exhausted = false
    for (const unit of Object.keys(this.caps) as LimitUnit[]) {
      remainder[unit] = Math.max(0, this.caps[unit]! - total[unit])
      if (remainder[unit] === 0) exhausted = true
    }
    if (!exhausted) {
      try {
        const hold = await holdAllotment(this.parent, this.context, remainder, {
          leaseMs: this.leaseMs,
          clamp: false,
          field: 'allotment',
        })
        this.holds = [hold]
        return
      } catch (error) {
        if (!BudgetExceededError.isInstance(error)) throw error
      }
    }
    // The parent no longer has the remainder: the child may not spend more than it already did.
    for (const unit of Object.keys(this.caps) as LimitUnit[])
      this.setCap(unit, Math.min(this.caps[unit]!, total[unit]))
  }

  private async close(): Promise<ChildBudgetResult> {
    this.state = 'ended'
    await this.renewing
    const total = await this.totalUsage()
    const warnings = await this.charge(total)
    return { usage: total, warnings }
  }

  /** Closes every hold, charging the parent what `total` adds to what it was already charged. */
  private async charge(total: Tally): Promise<BudgetWarning[]> {
    const usage = emptyTally()
    for (const field of tallyFields) usage[field] = Math.max(0, total[field] - this.charged[field])
    const holds = this.holds
    this.holds = []
    let warnings: BudgetWarning[]
    if (holds.length === 0) {
      // every hold lapsed and could not be taken again: charge the parent without one
      const charges = this.parent.resolve(this.context, undefined, this.parent.config.now())
      warnings = await closeAllotment(this.parent, { id: null, context: this.context, charges }, usage)
    } else {
      warnings = await closeAllotment(this.parent, holds[0]!, usage)
      for (const hold of holds.slice(1)) await closeAllotment(this.parent, hold, null)
    }
    this.charged = total
    return warnings
  }

  /** The child's usage so far: settled, plus reservations in flight (counted at their amount). */
  private async totalUsage(): Promise<Tally> {
    const now = this.engine.config.now()
    const charges = this.engine.resolve({}, undefined, now)
    const [state] = await this.engine.store.read({ now, counters: charges.map((c) => c.charge) })
    const total = emptyTally()
    for (const field of tallyFields) total[field] = state!.used[field] + state!.reserved[field]
    return total
  }

  /** Changes the child's own cap in one unit (the compiled limit is private to this child). */
  private setCap(unit: LimitUnit, cap: number): void {
    this.caps[unit] = cap
    this.limit.caps[unit] = cap
    for (const entry of this.limit.capList) if (entry.unit === unit) entry.cap = cap
  }
}
