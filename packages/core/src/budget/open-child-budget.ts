import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { ReservationClosedError } from '../errors/reservation-closed-error.ts'
import type { CompiledLimit } from '../limits/compile-limits.ts'
import type { LimitUnit } from '../limits/limit-unit.ts'
import { assertAmount, assertObject } from '../limits/validate.ts'
import { emptyTally, type Tally, tallyFields } from '../usage/tally.ts'
import type { TokenUsage } from '../usage/token-usage.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import type { Budget, Reservation, ReserveRequest } from './budget.ts'
import type { BudgetContext } from './budget-context.ts'
import type { BudgetEngine } from './budget-engine.ts'
import {
  allotmentUnits,
  type ChildAllotment,
  type ChildBudget,
  type ChildBudgetResult,
  createChildBudget,
} from './child-budget.ts'
import { ChildReservation } from './child-reservation.ts'
import { type AllotmentCaps, closeAllotment, type HeldAllotment, holdAllotment } from './hold-allotment.ts'

/**
 * The child budget `createChildBudget` returns: delegates to its own engine (a private memory store
 * with one global limit, the allotment) and keeps its hold on the parent alive.
 *
 * @example
 * const child = new OpenChildBudget(parent, engine, context, 'researcher', hold, leaseMs)
 */
export class OpenChildBudget implements ChildBudget {
  state: ChildBudget['state'] = 'open'
  private holds: HeldAllotment[]
  /** What was already charged to the parent (after a lapsed lease). */
  private charged = emptyTally()
  private renewing: Promise<void> | undefined
  private result: Promise<ChildBudgetResult> | undefined
  private readonly limit: CompiledLimit
  readonly caps: AllotmentCaps
  private readonly parent: BudgetEngine
  private readonly engine: BudgetEngine
  private readonly context: BudgetContext
  readonly name: string
  private readonly leaseMs: number

  constructor(
    parent: BudgetEngine,
    engine: BudgetEngine,
    context: BudgetContext,
    name: string,
    hold: HeldAllotment & { caps: AllotmentCaps },
    leaseMs: number,
  ) {
    this.parent = parent
    this.engine = engine
    this.context = context
    this.name = name
    this.leaseMs = leaseMs
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
  notify: Budget['notify'] = (event, payload) => this.engine.notify(event, payload)

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
    for (const unit of allotmentUnits) {
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
      const charges = this.parent.resolve(this.context, undefined, this.parent.config.now(), 'omit-model')
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
