import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { type LimitUnit, limitUnits } from '../limits/limit-unit.ts'
import { assertId } from '../limits/validate.ts'
import type { LimitStatus } from '../reports/limit-status.ts'
import type { BudgetContext } from './budget-context.ts'
import type { BudgetEngine } from './budget-engine.ts'
import { limitStatus } from './charge-status.ts'

/**
 * More allowance for one context, for the current period of the limits it raises: a person extends a
 * thread's budget after a check-in, support tops up a user for today. Give at least one unit, and
 * which limits: those of a `scope` (for the context's id of that scope) or one `limit` by name.
 *
 * @example
 * await budget.grant({ thread: 't-1' }, { scope: 'thread', tokens: 50_000 })
 */
export interface BudgetGrant {
  tokens?: number
  inputTokens?: number
  outputTokens?: number
  costUsd?: number
  requests?: number
  /** Raise the limits of this scope, e.g. `thread`, for the context's id of it. */
  scope?: string
  /** Or raise one limit, by name. */
  limit?: string
  /**
   * Idempotency key: a grant whose id the store already applied adds nothing (`alreadyApplied`), so a
   * retried or replayed grant counts once. @default a fresh id
   */
  id?: string
}

/**
 * What a grant did: the raised limits' statuses after it (with `granted`), and whether it was a repeat.
 *
 * @example
 * const { statuses, alreadyApplied } = await budget.grant({ thread: 't-1' }, { scope: 'thread', tokens: 5000, id: 'g-1' })
 */
export interface GrantResult {
  statuses: LimitStatus[]
  /** `true` when every raised limit had already applied a grant with this `id`: nothing was added. */
  alreadyApplied: boolean
}

const selectors = new Set(['scope', 'limit', 'id'])

/** The units of a grant, checked: finite numbers above 0, at least one, and no unknown field. */
function grantUnits(grant: BudgetGrant): Partial<Record<LimitUnit, number>> {
  if (grant === null || typeof grant !== 'object')
    throw new BudgetValidationError({ field: 'grant', value: grant, reason: 'expected an object' })
  const units: Partial<Record<LimitUnit, number>> = {}
  for (const field of Object.keys(grant)) {
    if (selectors.has(field)) continue
    const value = (grant as Record<string, unknown>)[field]
    if (!(limitUnits as readonly string[]).includes(field)) {
      throw new BudgetValidationError({
        field: `grant.${field}`,
        value,
        reason: `expected one of ${limitUnits.join(', ')}, scope, limit or id`,
      })
    }
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new BudgetValidationError({
        field: `grant.${field}`,
        value,
        reason: 'expected a finite number above 0',
      })
    }
    units[field as LimitUnit] = value
  }
  if (Object.keys(units).length === 0) {
    throw new BudgetValidationError({
      field: 'grant',
      value: grant,
      reason: `give at least one of ${limitUnits.join(', ')}`,
    })
  }
  return units
}

/**
 * `budget.grant()`: raises the selected limits' counters through the store's atomic `grant`, one per
 * limit, each idempotent by the grant's id (a retry with the same id completes a grant cut short).
 *
 * @example
 * const { statuses } = await grantAllowance(engine, { thread: 't-1' }, { scope: 'thread', tokens: 5000 })
 */
export async function grantAllowance(
  engine: BudgetEngine,
  context: BudgetContext,
  grant: BudgetGrant,
): Promise<GrantResult> {
  const units = grantUnits(grant)
  const { scope, limit, id } = grant
  if ((scope === undefined) === (limit === undefined)) {
    throw new BudgetValidationError({
      field: 'grant.scope',
      value: scope,
      reason: 'give either scope (the limits of a scope) or limit (one limit by name)',
    })
  }
  if (scope !== undefined) assertId(scope, 'grant.scope')
  if (limit !== undefined) assertId(limit, 'grant.limit')
  if (id !== undefined) assertId(id, 'grant.id')
  const store = engine.store
  if (store.grant === undefined) {
    throw new BudgetValidationError({
      field: 'store',
      value: store.name,
      reason: `the ${store.name} store cannot record grants (it has no grant operation); use a store that does`,
    })
  }
  const now = engine.config.now()
  let charges = engine.resolve(context, undefined, now, 'omit')
  if (engine.config.table.rollover) charges = await engine.withRollover(charges, now)
  const selected = charges.filter((resolved) =>
    limit !== undefined ? resolved.limit.name === limit : resolved.limit.scope === scope,
  )
  const field = limit !== undefined ? 'grant.limit' : 'grant.scope'
  if (selected.length === 0) {
    throw new BudgetValidationError({
      field,
      value: limit ?? scope,
      reason: 'no limit of the budget matches it for this context (is the scope id in the context?)',
    })
  }
  const grantId = id ?? engine.nextId()
  const statuses: LimitStatus[] = []
  let alreadyApplied = true
  let raised = 0
  for (const resolved of selected) {
    const amount: Partial<Record<LimitUnit, number>> = {}
    for (const { unit } of resolved.capList) if (units[unit] !== undefined) amount[unit] = units[unit]
    if (Object.keys(amount).length === 0) continue
    raised++
    const result = await store.grant({
      grantId: `${grantId}\u0000${resolved.limit.name}`,
      now,
      counter: resolved.charge,
      amount,
    })
    alreadyApplied &&= result.alreadyApplied
    const state = result.counter
    for (const { unit, cap } of resolved.capList) {
      const granted = state.granted?.[unit] ?? 0
      statuses.push(limitStatus(resolved, unit, cap, state.used[unit], state.reserved[unit], granted))
    }
    if (!result.alreadyApplied && engine.events.has('granted')) {
      engine.events.emit('granted', {
        grantId,
        context,
        limitName: resolved.limit.name,
        scope: resolved.limit.scope,
        scopeId: resolved.scopeId,
        amount,
        at: now,
      })
    }
  }
  if (raised === 0) {
    throw new BudgetValidationError({
      field,
      value: limit ?? scope,
      reason: `the matching limits cap none of ${Object.keys(units).join(', ')}`,
    })
  }
  return { statuses, alreadyApplied }
}
