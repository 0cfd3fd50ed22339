import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { compileLimits } from '../limits/compile-limits.ts'
import type { LimitUnit } from '../limits/limit-unit.ts'
import { parseThresholds, type Threshold } from '../limits/threshold.ts'
import { assertAmount, assertId, assertObject } from '../limits/validate.ts'
import { encodeCounterKey } from '../stores/counter-key.ts'
import type { Tally } from '../usage/tally.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import type { Budget } from './budget.ts'
import type { BudgetContext } from './budget-context.ts'
import type { ChildParent } from './child-parent.ts'
import { type AllotmentCaps, holdAllotment } from './hold-allotment.ts'
import { OpenChildBudget } from './open-child-budget.ts'
import type { ResolvedCharge } from './resolve-charges.ts'
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
  /** Everything the child used, all already charged to the parent (calls in flight at their reservation). */
  usage: Tally
  /** Threshold crossings of the calls `end()` closed at their reservation. */
  warnings: BudgetWarning[]
}

/**
 * A budget carved from a parent's remainder (see `budget.child`). It is a full `Budget`: give it to an
 * adapter (`budgetMiddleware({ budget: child })`). It is part of the parent, live: the allotment is a
 * hold on the parent (a lease the child renews with its activity), and each call of the child is
 * reserved inside the allotment and on the parent's other limits for the call's context (model, user,
 * thread, tracking counters), through the parent's store; its settle charges the parent at once (with
 * the parent's `settled` and threshold events) and draws the hold down by the same amount, atomically.
 * `end()` returns what the hold has left. A crash loses no settled usage (it is in the parent's
 * counters already); the hold lapses after `leaseMs`. An idle child whose hold lapsed holds its
 * remainder again on its next call, or stops when the parent no longer has it.
 *
 * @example
 * const researcher = await budget.child({ agent: 'coordinator', thread: 't-1' }, { tokens: 20_000, name: 'researcher' })
 * const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: budgetMiddleware({ budget: researcher }) })
 * // … run the sub-agent: each call is charged to the parent as it settles …
 * const { usage } = await researcher.end() // returns the rest of the allotment to the parent
 */
export interface ChildBudget extends Budget {
  readonly name: string
  /** The allotment's caps (grown by `extend`). */
  readonly caps: Readonly<AllotmentCaps>
  readonly state: 'open' | 'ended'
  /**
   * Returns the unused allotment to the parent (calls still in flight are charged at their reservation;
   * their later settle adds nothing). Idempotent, and safe to retry after it failed.
   */
  end(): Promise<ChildBudgetResult>
  /** Carves more from the parent (atomic; throws the parent's `BudgetExceededError` when it lacks it). */
  extend(more: Omit<ChildAllotment, 'name' | 'thresholds' | 'leaseMs' | 'clamp'>): Promise<void>
  /** Renews the hold on the parent now (the child also renews it on its own activity). */
  renew(): Promise<boolean>
}

/** The units an allotment may give. */
export const allotmentUnits: readonly LimitUnit[] = [
  'tokens',
  'inputTokens',
  'outputTokens',
  'costUsd',
  'requests',
]

/**
 * Creates a child of `parent` (what `budget.child` runs).
 *
 * @example
 * const child = await createChildBudget(rootParent(engine), { agent: 'coordinator' }, { tokens: 5000 })
 */
export async function createChildBudget(
  parent: ChildParent,
  context: BudgetContext,
  allotment: ChildAllotment,
): Promise<ChildBudget> {
  assertObject(allotment, 'allotment')
  const root = parent.root
  const caps: AllotmentCaps = {}
  for (const unit of allotmentUnits) {
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
  if (context === null || typeof context !== 'object') {
    throw new BudgetValidationError({
      field: 'context',
      value: context,
      reason: 'expected an object such as { thread }',
    })
  }
  const leaseMs = allotment.leaseMs ?? root.config.leaseMs
  assertPositive(leaseMs, 'allotment.leaseMs')
  const name: string = (allotment.name as string | undefined) ?? context.agent ?? 'child'
  assertId(name, 'allotment.name')
  const thresholds =
    allotment.thresholds === undefined
      ? root.config.thresholds
      : parseThresholds(allotment.thresholds, 'allotment.thresholds')
  const hold = await holdAllotment(parent, context, caps, {
    leaseMs,
    clamp: allotment.clamp === true,
    field: 'allotment',
  })
  const limit = compileLimits([{ scope: 'global', name: `child:${name}`, ...hold.caps }], thresholds)
    .limits[0]!
  // the child's own limit: warnings and errors name it as the sub-agent
  limit.scope = 'sub-agent'
  const counter: ResolvedCharge = {
    limit,
    scopeId: name,
    charge: {
      key: encodeCounterKey({ name: limit.name, scope: 'sub-agent', scopeId: hold.id, periodStart: 0 }),
      caps: limit.caps,
      expiresAt: null,
    },
    capList: limit.capList,
    boardKey: `sub-agent|${hold.id}`,
    periodStart: 0,
    resetsAt: null,
  }
  return new OpenChildBudget(parent, context, name, hold, leaseMs, counter)
}
