import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { compileLimits } from '../limits/compile-limits.ts'
import type { LimitUnit } from '../limits/limit-unit.ts'
import { parseThresholds, type Threshold } from '../limits/threshold.ts'
import { assertAmount, assertId, assertObject } from '../limits/validate.ts'
import { memoryStore } from '../stores/memory-store.ts'
import type { Tally } from '../usage/tally.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import type { Budget } from './budget.ts'
import type { BudgetContext } from './budget-context.ts'
import { BudgetEngine } from './budget-engine.ts'
import { type AllotmentCaps, holdAllotment } from './hold-allotment.ts'
import { OpenChildBudget } from './open-child-budget.ts'
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
 * const child = await createChildBudget(engine, { agent: 'coordinator' }, { tokens: 5000 })
 */
export async function createChildBudget(
  parent: BudgetEngine,
  context: BudgetContext,
  allotment: ChildAllotment,
): Promise<ChildBudget> {
  assertObject(allotment, 'allotment')
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
