import type { BudgetContext } from './budget-context.ts'
import type { BudgetEngine } from './budget-engine.ts'
import type { ReservationOwner } from './open-reservation.ts'
import type { MissingIdPolicy, ResolvedCharge } from './resolve-charges.ts'

/**
 * The counters a call charges: `all` (its settle adds usage to each), the ones its reservation holds
 * (`held`: a child's allotment counter and the parent's counters no hold covers), and its full context.
 */
export interface ChargePlan {
  all: ResolvedCharge[]
  held: ResolvedCharge[]
  context: BudgetContext
}

/** What a child budget's calls need from it: their charges, the holds they draw from, who settles them. */
export interface ChildCalls {
  plan(context: BudgetContext, model: string | undefined, now: number): Promise<ChargePlan>
  /** `drawFrom` of a settle: one group of hold ids per level of nesting, outermost first. */
  drawGroups(): string[][]
  readonly owner: ReservationOwner
}

/**
 * Where a child budget takes its holds and sends its calls: the root budget, or another child (nesting).
 *
 * @example
 * const parent: ChildParent = rootParent(engine)
 * const { held } = await parent.plan({ thread: 't-1' }, undefined, Date.now())
 */
export interface ChildParent {
  readonly root: BudgetEngine
  /** `missing`: what a limit whose scope id the context lacks does (see `MissingIdPolicy`). */
  plan(
    context: BudgetContext,
    model: string | undefined,
    now: number,
    missing?: MissingIdPolicy,
  ): Promise<ChargePlan>
  /** The same charges as `plan().all`, without rollover caps (for warnings, which only need keys). */
  chargesOf(
    context: BudgetContext,
    model: string | undefined,
    now: number,
    missing?: MissingIdPolicy,
  ): ResolvedCharge[]
  /** The full context of a call made with `context` here. */
  contextOf(context: BudgetContext): BudgetContext
  drawGroups(): string[][]
}

/**
 * The root budget as a child's parent: a call charges and holds the limits of its context.
 *
 * @example
 * const child = await createChildBudget(rootParent(engine), { agent: 'coordinator' }, { tokens: 5000 })
 */
export function rootParent(engine: BudgetEngine): ChildParent {
  return {
    root: engine,
    async plan(context, model, now, missing = 'refuse') {
      let charges = engine.resolve(context, model, now, missing)
      if (engine.config.table.rollover) charges = await engine.withRollover(charges, now)
      return { all: charges, held: charges, context }
    },
    chargesOf: (context, model, now, missing = 'refuse') => engine.resolve(context, model, now, missing),
    contextOf: (context) => context,
    drawGroups: () => [],
  }
}

/**
 * The charges of both lists, each counter once (the first list's order first).
 *
 * @example
 * unionCharges(callCharges, baseCharges)
 */
export function unionCharges(first: ResolvedCharge[], second: ResolvedCharge[]): ResolvedCharge[] {
  if (second.length === 0) return first
  const keys = new Set(first.map((c) => c.charge.key))
  const union = [...first]
  for (const charge of second) if (!keys.has(charge.charge.key)) union.push(charge)
  return union
}
