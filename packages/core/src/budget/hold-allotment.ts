import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import type { LimitUnit } from '../limits/limit-unit.ts'
import { emptyTally, type Tally } from '../usage/tally.ts'
import type { BudgetContext } from './budget-context.ts'
import type { BudgetEngine } from './budget-engine.ts'
import type { ChildParent } from './child-parent.ts'
import type { ResolvedCharge } from './resolve-charges.ts'

/**
 * The caps of a child budget's allotment, by unit.
 *
 * @example
 * const caps: AllotmentCaps = { tokens: 20_000, costUsd: 0.5 }
 */
export type AllotmentCaps = Partial<Record<LimitUnit, number>>

/**
 * An allotment held on a parent budget: a long-lived reservation (lease) on the parent's counters for
 * the child's context, which the child's settled calls draw down.
 */
export interface HeldAllotment {
  id: string
  /** The counters it holds amounts on (a child's calls do not reserve on these again). */
  held: ResolvedCharge[]
  keys: ReadonlySet<string>
  amount: Tally
  expiresAt: number
}

/**
 * What a hold of `caps` reserves on the parent: every capped unit, with a `tokens` allotment also
 * bounding input and output tokens (each is part of the total).
 */
export function allotmentAmount(caps: AllotmentCaps): Tally {
  const amount = emptyTally()
  amount.tokens = caps.tokens ?? 0
  amount.inputTokens = caps.inputTokens ?? caps.tokens ?? 0
  amount.outputTokens = caps.outputTokens ?? caps.tokens ?? 0
  amount.costUsd = caps.costUsd ?? 0
  amount.requests = caps.requests ?? 0
  return amount
}

/**
 * Throws when the parent caps a unit (for this context) that the allotment leaves unbounded: the child
 * could otherwise spend the parent's budget in that unit without holding any of it.
 */
function assertCovers(charges: readonly ResolvedCharge[], amount: Tally, field: string): void {
  for (const resolved of charges) {
    for (const { unit } of resolved.capList) {
      if (amount[unit] > 0 || resolved.charge.caps?.[unit] === 0) continue
      throw new BudgetValidationError({
        field: `${field}.${unit}`,
        value: undefined,
        reason: `the parent limit "${resolved.limit.name}" caps ${unit}; give the child an allotment in ${unit} too`,
      })
    }
  }
}

/**
 * Reserves the allotment (or `amount`) on what a call of the parent with `context` holds, atomically,
 * or throws the parent's `BudgetExceededError` and holds nothing. With `clamp`, holds what the parent
 * has left when that is less (at least 1 of each unit), retrying when a concurrent hold took it first.
 */
export async function holdAllotment(
  parent: ChildParent,
  context: BudgetContext,
  caps: AllotmentCaps,
  {
    leaseMs,
    clamp,
    field,
    amount: fixed,
  }: { leaseMs: number; clamp: boolean; field: string; amount?: Tally },
): Promise<HeldAllotment & { caps: AllotmentCaps }> {
  const engine = parent.root
  const attempts = clamp ? 3 : 1
  for (let attempt = 1; ; attempt++) {
    const now = engine.config.now()
    // the child's calls name their model: model limits are held by the calls, not here
    const { held } = await parent.plan(context, undefined, now, 'omit-model')
    let granted = caps
    if (clamp) granted = await clampCaps(engine, held, caps, now)
    const amount = fixed ?? allotmentAmount(granted)
    if (fixed === undefined) assertCovers(held, amount, field)
    const id = `${engine.nextId()}-hold`
    const expiresAt = now + leaseMs
    const result = await engine.store.reserve({
      reservationId: id,
      now,
      leaseExpiresAt: expiresAt,
      counters: held.map((c) => c.charge),
      amount,
      enforce: engine.mode === 'enforce',
    })
    if (result.ok) {
      const keys = new Set(held.map((c) => c.charge.key))
      return { id, held, keys, amount, expiresAt, caps: granted }
    }
    if (attempt < attempts) continue
    throw engine.refuse(context, undefined, held, {
      ...result.denial,
      requested: amount[result.denial.unit],
    })
  }
}

/** Returns what a hold still holds to the parent (idempotent: a retry adds nothing). */
export async function releaseHold(engine: BudgetEngine, hold: HeldAllotment): Promise<void> {
  await engine.store.commit({
    reservationId: hold.id,
    now: engine.config.now(),
    counters: hold.held.map((c) => c.charge),
    usage: null,
  })
}

/** Lowers each unit of `caps` to what every parent limit still has left. */
async function clampCaps(
  engine: BudgetEngine,
  charges: readonly ResolvedCharge[],
  caps: AllotmentCaps,
  now: number,
): Promise<AllotmentCaps> {
  const states = await engine.store.read({ now, counters: charges.map((c) => c.charge) })
  const clamped: AllotmentCaps = { ...caps }
  const fallbackTokens = caps.tokens
  charges.forEach((resolved, index) => {
    const state = states[index]!
    for (const { unit, cap } of resolved.capList) {
      const left = Math.max(0, cap - state.used[unit] - state.reserved[unit])
      const unitLeft = unit === 'costUsd' ? left : Math.floor(left + 1e-9)
      const current =
        clamped[unit] ?? (unit === 'inputTokens' || unit === 'outputTokens' ? fallbackTokens : undefined)
      if (current !== undefined && unitLeft < current) clamped[unit] = unitLeft
    }
  })
  for (const unit of Object.keys(clamped) as LimitUnit[]) {
    if (clamped[unit] === 0 && (caps[unit] ?? 0) > 0) clamped[unit] = unit === 'costUsd' ? 1e-9 : 1
  }
  return clamped
}
