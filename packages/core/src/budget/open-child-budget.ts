import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { ReservationClosedError } from '../errors/reservation-closed-error.ts'
import type { LimitUnit } from '../limits/limit-unit.ts'
import { assertAmount, assertObject } from '../limits/validate.ts'
import { emptyTally, tallyFields } from '../usage/tally.ts'
import type { TokenUsage } from '../usage/token-usage.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import type { Budget, Reservation, ReserveRequest, SettleResult } from './budget.ts'
import type { BudgetContext } from './budget-context.ts'
import type { BudgetEngine } from './budget-engine.ts'
import {
  allotmentUnits,
  type ChildAllotment,
  type ChildBudget,
  type ChildBudgetResult,
  createChildBudget,
} from './child-budget.ts'
import { type ChargePlan, type ChildCalls, type ChildParent, unionCharges } from './child-parent.ts'
import { commitTally } from './commit-tally.ts'
import {
  type AllotmentCaps,
  allotmentAmount,
  type HeldAllotment,
  holdAllotment,
  releaseHold,
} from './hold-allotment.ts'
import type { OpenReservation, ReservationOwner } from './open-reservation.ts'
import type { MissingIdPolicy, ResolvedCharge } from './resolve-charges.ts'
import { validateRequest } from './validate-request.ts'

/**
 * The child budget `createChildBudget` returns. Its calls go through the root budget's engine and store:
 * reserved on its allotment counter and on the parent's counters its holds do not cover, settled on
 * every counter of the call's context, drawing the holds down in the same store operation.
 *
 * @example
 * const child = new OpenChildBudget(parent, context, 'researcher', hold, leaseMs, counter)
 */
export class OpenChildBudget implements ChildBudget, ChildParent, ChildCalls, ReservationOwner {
  state: ChildBudget['state'] = 'open'
  readonly root: BudgetEngine
  readonly owner: ReservationOwner = this
  readonly caps: AllotmentCaps
  private holds: HeldAllotment[]
  private covered: Set<string>
  /** Calls reserved and not yet settled or released (end() closes them at their reservation). */
  private readonly inFlight = new Map<string, OpenReservation>()
  private renewing: Promise<void> | undefined
  private ending: Promise<ChildBudgetResult> | undefined

  private readonly parent: ChildParent
  private readonly context: BudgetContext
  readonly name: string
  private readonly holdLeaseMs: number
  /** The allotment's own counter (caps = the allotment), in the root's store. */
  private readonly counter: ResolvedCharge

  constructor(
    parent: ChildParent,
    context: BudgetContext,
    name: string,
    hold: HeldAllotment & { caps: AllotmentCaps },
    holdLeaseMs: number,
    counter: ResolvedCharge,
  ) {
    this.parent = parent
    this.context = context
    this.name = name
    this.holdLeaseMs = holdLeaseMs
    this.counter = counter
    this.root = parent.root
    this.holds = [hold]
    this.covered = new Set(hold.keys)
    this.caps = { ...hold.caps }
  }

  get mode() {
    return this.root.mode
  }
  get store() {
    return this.root.store
  }
  get estimator() {
    return this.root.estimator
  }
  get defaultMaxOutputTokens() {
    return this.root.defaultMaxOutputTokens
  }
  get leaseMs() {
    return this.root.leaseMs
  }
  get clock() {
    return this.root.clock
  }

  async reserve(context: BudgetContext, request: ReserveRequest): Promise<Reservation> {
    this.assertOpen()
    await this.keepAlive()
    const reservation = (await this.root.reserveThrough(context, request, this)) as OpenReservation
    this.inFlight.set(reservation.id, reservation)
    return reservation
  }

  async record(context: BudgetContext, usage: TokenUsage & { model?: string }): Promise<SettleResult> {
    this.assertOpen()
    await this.keepAlive()
    const result = await this.root.recordThrough(context, usage, this)
    await this.keepAlive()
    return result
  }

  /** The call's counters: this allotment, plus the parent's for the merged context and for the child's. */
  async plan(
    context: BudgetContext,
    model: string | undefined,
    now: number,
    missing: MissingIdPolicy = 'refuse',
  ): Promise<ChargePlan> {
    const [call, base] = await Promise.all([
      this.parent.plan({ ...this.context, ...context }, model, now, missing),
      this.parent.plan(this.context, undefined, now, missing === 'refuse' ? 'omit-model' : missing),
    ])
    const held = [this.counter]
    for (const charge of unionCharges(call.held, base.held))
      if (!this.covered.has(charge.charge.key)) held.push(charge)
    return { all: [this.counter, ...unionCharges(call.all, base.all)], held, context: call.context }
  }

  chargesOf(
    context: BudgetContext,
    model: string | undefined,
    now: number,
    missing: MissingIdPolicy = 'refuse',
  ): ResolvedCharge[] {
    const call = this.parent.chargesOf({ ...this.context, ...context }, model, now, missing)
    const base = this.parent.chargesOf(
      this.context,
      undefined,
      now,
      missing === 'refuse' ? 'omit-model' : missing,
    )
    return [this.counter, ...unionCharges(call, base)]
  }

  contextOf(context: BudgetContext): BudgetContext {
    return this.parent.contextOf({ ...this.context, ...context })
  }

  drawGroups(): string[][] {
    return [...this.parent.drawGroups(), this.holds.map((hold) => hold.id)]
  }

  // ReservationOwner: the child's calls settle through the root, drawing from the holds
  async commit(
    reservationId: string | null,
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    usage: TokenUsage,
    now: number,
    handle?: unknown,
  ): Promise<SettleResult> {
    const result = await this.root.commit(
      reservationId,
      context,
      model,
      charges,
      usage,
      now,
      handle,
      this.drawGroups(),
    )
    if (reservationId !== null) this.inFlight.delete(reservationId)
    if (this.state === 'open') await this.keepAlive()
    return result
  }

  async release(
    reservationId: string,
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    handle?: unknown,
  ): Promise<void> {
    await this.root.release(reservationId, context, model, charges, handle)
    this.inFlight.delete(reservationId)
  }

  async renew(reservationId?: string, leaseMs?: number, handle?: unknown): Promise<boolean> {
    if (reservationId === undefined) {
      // ChildBudget.renew(): renew the holds now
      if (this.state !== 'open') return false
      await this.keepAlive(true)
      return this.holds.length > 0
    }
    await this.keepAlive()
    return this.root.renew(reservationId, leaseMs ?? this.root.leaseMs, handle)
  }

  takeWarnings: Budget['takeWarnings'] = (context, options) => {
    const now = this.root.config.now()
    return this.root.takeWarningsOf(
      this.chargesOf(context, options?.model, now, 'omit'),
      this.contextOf(context),
      now,
    )
  }
  restoreWarnings: Budget['restoreWarnings'] = (context, warnings) =>
    this.root.restoreWarnings(this.contextOf(context), warnings)

  async status(context: BudgetContext, options?: { model?: string }) {
    const now = this.root.config.now()
    return this.root.statusOf((await this.plan(context, options?.model, now, 'omit')).all, now)
  }

  async affordableOutputTokens(context: BudgetContext, request: { model?: string; inputTokens: number }) {
    const { model, inputTokens } = validateRequest(request)
    const now = this.root.config.now()
    return this.root.affordableOf((await this.plan(context, model, now)).held, model, inputTokens, now)
  }

  report: Budget['report'] = (options) => this.root.report(options)
  cost: Budget['cost'] = (model, usage) => this.root.cost(model, usage)
  on: Budget['on'] = (event, handler) => this.root.on(event, handler)
  notify: Budget['notify'] = (event, payload) => this.root.notify(event, payload)

  /** A child's limit is what its parent holds for it: it grows with `extend` (held on the parent), not grants. */
  async grant(): Promise<never> {
    throw new BudgetValidationError({
      field: 'budget',
      value: 'child budget',
      reason: 'a child budget cannot take grants: grow it with extend(), which holds the extra on its parent',
    })
  }

  child(context: BudgetContext, allotment: ChildAllotment): Promise<ChildBudget> {
    this.assertOpen()
    return createChildBudget(this, context, allotment)
  }

  async dispose(): Promise<void> {
    await this.end()
  }

  end(): Promise<ChildBudgetResult> {
    this.state = 'ended'
    this.ending ??= this.close().catch((error: unknown) => {
      this.ending = undefined // a failed end() can be retried: every step is idempotent by id
      throw error
    })
    return this.ending
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
      leaseMs: this.holdLeaseMs,
      clamp: false,
      field: 'more',
    })
    this.holds.push(hold)
    for (const key of hold.keys) this.covered.add(key)
    for (const unit of Object.keys(extra) as LimitUnit[]) this.setCap(unit, this.caps[unit]! + extra[unit]!)
  }

  private assertOpen(): void {
    if (this.state === 'open') return
    throw new ReservationClosedError({
      reservationId: this.holds[0]?.id ?? this.name,
      state: 'settled',
      message: `the child budget "${this.name}" has ended`,
    })
  }

  /** Renews the holds past half their lease; holds the remainder again when one lapsed. */
  private keepAlive(force = false): Promise<void> {
    const now = this.root.config.now()
    const due = this.holds.some((hold) => now >= hold.expiresAt - this.holdLeaseMs / 2)
    if ((!due && !force) || this.holds.length === 0) return this.renewing ?? Promise.resolve()
    this.renewing ??= this.renewHolds().finally(() => {
      this.renewing = undefined
    })
    return this.renewing
  }

  private async renewHolds(): Promise<void> {
    let lapsed = false
    for (const hold of this.holds) {
      const now = this.root.config.now()
      if (await this.root.renew(hold.id, this.holdLeaseMs)) hold.expiresAt = now + this.holdLeaseMs
      else lapsed = true
    }
    if (lapsed && this.state === 'open') await this.rebase()
  }

  /**
   * A hold lapsed and returned to the parent. What the child used is charged already: hold what the
   * allotment has left again, or stop the child when the parent no longer has it.
   */
  private async rebase(): Promise<void> {
    for (const hold of this.holds) await releaseHold(this.root, hold)
    this.holds = []
    this.covered = new Set()
    const now = this.root.config.now()
    const [state] = await this.root.store.read({ now, counters: [this.counter.charge] })
    const full = allotmentAmount(this.caps)
    const remainder = emptyTally()
    for (const field of tallyFields) remainder[field] = Math.max(0, full[field] - state!.used[field])
    if ((Object.keys(this.caps) as LimitUnit[]).every((unit) => remainder[unit] > 0)) {
      try {
        const hold = await holdAllotment(this.parent, this.context, this.caps, {
          leaseMs: this.holdLeaseMs,
          clamp: false,
          field: 'allotment',
          amount: remainder,
        })
        this.holds = [hold]
        this.covered = new Set(hold.keys)
        return
      } catch (error) {
        if (!BudgetExceededError.isInstance(error)) throw error
      }
    }
    // The parent no longer has the remainder: the child may not spend more than it already did.
    for (const unit of Object.keys(this.caps) as LimitUnit[])
      this.setCap(unit, Math.min(this.caps[unit]!, state!.used[unit] + state!.reserved[unit]))
  }

  private async close(): Promise<ChildBudgetResult> {
    await this.renewing?.catch(() => {})
    const warnings: BudgetWarning[] = []
    // calls still in flight are charged at their reservation (their settle then adds nothing)
    for (const reservation of [...this.inFlight.values()]) {
      const result = await commitTally(
        this.root,
        reservation.id,
        reservation.context,
        reservation.model,
        reservation.charges,
        reservation.amount,
        this.root.config.now(),
        reservation.handle,
        true,
        this.drawGroups(),
      )
      warnings.push(...result.warnings)
      this.inFlight.delete(reservation.id)
    }
    while (this.holds.length > 0) {
      await releaseHold(this.root, this.holds[0]!)
      this.holds.shift()
    }
    const now = this.root.config.now()
    const [state] = await this.root.store.read({ now, counters: [this.counter.charge] })
    return { usage: { ...state!.used }, warnings }
  }

  /** Changes the allotment's cap in one unit (the counter's caps are the limit's). */
  private setCap(unit: LimitUnit, cap: number): void {
    this.caps[unit] = cap
    this.counter.limit.caps[unit] = cap
    for (const entry of this.counter.capList) if (entry.unit === unit) entry.cap = cap
  }
}
