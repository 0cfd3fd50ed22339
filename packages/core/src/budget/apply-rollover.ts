import type { CompiledLimit } from '../limits/compile-limits.ts'
import type { LimitUnit } from '../limits/limit-unit.ts'
import { type CalendarOptions, periodWindow } from '../periods/period-window.ts'
import type { BudgetStore } from '../stores/budget-store.ts'
import { encodeCounterKey } from '../stores/counter-key.ts'
import { type ResolvedCharge, watchLevels } from './resolve-charges.ts'

/**
 * Raises the caps of rollover limits by what their previous period left unused (at most the limit's
 * `rollover.max` per unit). The carry is read once per scope value and period from the previous
 * period's counter (kept one period longer for this) and remembered until the period ends; every
 * process reads the same counter, so they agree on it.
 *
 * @example
 * const charges = await applyRollover(store, calendar, resolveCharges(…), now)
 */
export async function applyRollover(
  store: BudgetStore,
  calendar: CalendarOptions,
  charges: ResolvedCharge[],
  now: number,
): Promise<ResolvedCharge[]> {
  let result: ResolvedCharge[] | undefined
  for (let index = 0; index < charges.length; index++) {
    const resolved = charges[index]!
    const limit = resolved.limit
    if (limit.rollover === undefined) continue
    if (limit.carriedPeriod !== resolved.periodStart) {
      limit.carried.clear()
      limit.carriedPeriod = resolved.periodStart
    }
    let carried = limit.carried.get(resolved.scopeId)
    if (carried === undefined) {
      carried = await withCarry(store, calendar, limit, resolved, now)
      if (limit.carriedPeriod === resolved.periodStart) limit.carried.set(resolved.scopeId, carried)
    }
    result ??= charges.slice()
    result[index] = carried
  }
  return result ?? charges
}

async function withCarry(
  store: BudgetStore,
  calendar: CalendarOptions,
  limit: CompiledLimit,
  resolved: ResolvedCharge,
  now: number,
): Promise<ResolvedCharge> {
  const previousStart = periodWindow(limit.period, resolved.periodStart - 1, calendar).start
  const key = encodeCounterKey({
    name: limit.name,
    scope: limit.scope,
    scopeId: resolved.scopeId,
    periodStart: previousStart,
  })
  const [previous] = await store.read({ now, counters: [{ key, caps: null, expiresAt: null }] })
  const caps: Partial<Record<LimitUnit, number>> = { ...limit.caps }
  const capList = limit.capList.map(({ unit, cap }) => {
    const max = limit.rollover![unit] ?? 0
    const carry = Math.min(max, Math.max(0, cap - previous!.used[unit]))
    caps[unit] = cap + carry
    return { unit, cap: cap + carry }
  })
  const watch = watchLevels(limit.thresholds, capList)
  return { ...resolved, capList, charge: { ...resolved.charge, caps, watch } }
}
