import type { LimitStatus } from '../reports/limit-status.ts'
import type { BudgetStore } from '../stores/budget-store.ts'
import { limitStatus } from './charge-status.ts'
import type { ResolvedCharge } from './resolve-charges.ts'

/**
 * The statuses of these charges (one per capped unit) from the store's current totals.
 *
 * @example
 * const statuses = await statusOfCharges(store, charges, now)
 */
export async function statusOfCharges(
  store: BudgetStore,
  charges: readonly ResolvedCharge[],
  now: number,
): Promise<LimitStatus[]> {
  const states = await store.read({ now, counters: charges.map((c) => c.charge) })
  const statuses: LimitStatus[] = []
  charges.forEach((resolved, index) => {
    for (const { unit, cap } of resolved.capList) {
      const state = states[index]!
      const granted = state.granted?.[unit] ?? 0
      statuses.push(limitStatus(resolved, unit, cap, state.used[unit], state.reserved[unit], granted))
    }
  })
  return statuses
}
