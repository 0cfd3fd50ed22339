import type { LimitUnit } from '../limits/limit-unit.ts'
import type { CounterCharge } from './budget-store.ts'

type Units = Partial<Record<LimitUnit, number>>

/**
 * The memory store's grants: extra allowance per counter key and unit (`BudgetStore.grant`), kept
 * apart from the counters because few counters ever have one (a counter without a grant costs nothing
 * here). A grant ends with its counter's period.
 *
 * @example
 * const grants = new CounterGrants()
 * grants.add('thread/t-1', { tokens: 5000 }, null)
 * grants.over(charge, 'tokens', now) // 5000
 */
export class CounterGrants {
  private readonly byKey = new Map<string, { units: Units; expiresAt: number }>()
  /** The earliest expiry of any grant (prune does nothing before it). */
  private nextExpiry = Number.POSITIVE_INFINITY

  get size(): number {
    return this.byKey.size
  }

  /** Adds `amount` to the key's grant (`expiresAt`: its counter's, `null` for never). */
  add(key: string, amount: Units, expiresAt: number | null): void {
    let grant = this.byKey.get(key)
    if (grant === undefined) {
      grant = { units: {}, expiresAt: expiresAt ?? Number.POSITIVE_INFINITY }
      this.byKey.set(key, grant)
      if (grant.expiresAt < this.nextExpiry) this.nextExpiry = grant.expiresAt
    }
    for (const unit in amount) {
      const value = amount[unit as LimitUnit]!
      grant.units[unit as LimitUnit] = (grant.units[unit as LimitUnit] ?? 0) + value
    }
  }

  /** The unit's grant over the charge's window (its key and earlier buckets); 0 when none. */
  over(charge: CounterCharge, unit: LimitUnit): number {
    let granted = this.byKey.get(charge.key)?.units[unit] ?? 0
    if (charge.window !== undefined) {
      for (const key of charge.window) granted += this.byKey.get(key)?.units[unit] ?? 0
    }
    return granted
  }

  /** Every unit's grant over the charge's window (`own`: the key's alone), or `undefined` when none. */
  unitsOf(charge: CounterCharge, own = false): Units | undefined {
    const keys = own || charge.window === undefined ? [charge.key] : [charge.key, ...charge.window]
    let units: Units | undefined
    for (const key of keys) {
      const grant = this.byKey.get(key)
      if (grant === undefined) continue
      units ??= {}
      for (const unit in grant.units) {
        units[unit as LimitUnit] = (units[unit as LimitUnit] ?? 0) + grant.units[unit as LimitUnit]!
      }
    }
    return units
  }

  /** Drops grants whose counter's period ended by `now`. */
  prune(now: number): void {
    if (now < this.nextExpiry) return
    this.nextExpiry = Number.POSITIVE_INFINITY
    for (const [key, grant] of this.byKey) {
      if (grant.expiresAt <= now) this.byKey.delete(key)
      else if (grant.expiresAt < this.nextExpiry) this.nextExpiry = grant.expiresAt
    }
  }

  clear(): void {
    this.byKey.clear()
    this.nextExpiry = Number.POSITIVE_INFINITY
  }
}
