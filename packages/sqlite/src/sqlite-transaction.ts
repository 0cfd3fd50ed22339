import type {
  CounterCharge,
  CounterState,
  LimitUnit,
  StoreDenial,
  StoreGrantRequest,
} from '@tokenwarden/core'
import { tallyFieldCount, unitIndex, vectorsToState } from '@tokenwarden/core'
import type { SqliteStatements } from './sqlite-statements.ts'

/** The `amount` of a lease row remembered after a commit closed it. */
export const closedMark = 'closed'
/** The `amount` of a lease row remembered after it lapsed (a late settle still counts, once). */
export const lapsedMark = 'lapsed'

/** An open lease: the counters it holds amounts on, and what it holds. */
export interface OpenLease {
  keys: string[]
  amount: number[]
}

interface CachedCounter {
  /** used fields, then reserved fields */
  values: Float64Array
  /** What grants added to the caps, per field (`tallyFields` order); null when none. */
  granted: number[] | null
  /** Set when the row changed and must be written; `expiresAt` is used when the row is new. */
  dirty: boolean
  expiresAt: number | null
}

/**
 * The work of one store operation inside one `BEGIN IMMEDIATE` transaction: counters are read once,
 * changed in memory and written back by `flush()`. Mirrors `memoryStore()` step by step.
 *
 * @example
 * const work = new SqliteTransaction(statements, now, 1e-9, 60_000)
 * work.sweep()
 * work.flush()
 */
export class SqliteTransaction {
  private readonly cache = new Map<string, CachedCounter | null>()
  private readonly statements: SqliteStatements
  private readonly now: number
  private readonly epsilon: number
  private readonly retentionMs: number

  constructor(statements: SqliteStatements, now: number, epsilon: number, retentionMs: number) {
    this.statements = statements
    this.now = now
    this.epsilon = epsilon
    this.retentionMs = retentionMs
  }

  /**
   * Drops counters whose period ended (unless `prune` is false: reads keep them), forgets closed
   * reservations past their retention, and returns every lapsed lease to its counters (remembered as
   * lapsed, so its late settle counts once).
   */
  sweep({ prune = true }: { prune?: boolean } = {}): void {
    // Prune first: a lease returned to a counter that is gone must not bring the row back.
    if (prune) this.statements.pruneCounters.run(this.now)
    const lapsed = this.statements.selectLapsed.all(this.now) as unknown as [string, string, string][]
    for (const [id, keys, amount] of lapsed) {
      if (amount === closedMark || amount === lapsedMark) {
        this.statements.deleteLease.run(id)
        continue
      }
      this.returnLease(JSON.parse(keys) as string[], JSON.parse(amount) as number[])
      this.remember(id, lapsedMark)
    }
  }

  /** A reservation the store knows: open (its keys and amount), closed, lapsed, or `undefined`. */
  findLease(reservationId: string): OpenLease | 'closed' | 'lapsed' | undefined {
    const row = this.statements.selectLease.get(reservationId) as unknown as [string, string] | undefined
    if (row === undefined) return undefined
    if (row[1] === closedMark) return 'closed'
    if (row[1] === lapsedMark) return 'lapsed'
    return { keys: JSON.parse(row[0]) as string[], amount: JSON.parse(row[1]) as number[] }
  }

  /** Returns an open lease's amount to its counters. */
  returnLease(keys: readonly string[], amount: readonly number[]): void {
    for (const key of keys) {
      const counter = this.load(key)
      if (counter === null) continue
      for (let f = 0; f < tallyFieldCount; f++) {
        const value = counter.values[tallyFieldCount + f]! - amount[f]!
        counter.values[tallyFieldCount + f] = value < this.epsilon ? 0 : value
      }
      counter.dirty = true
    }
  }

  /** Remembers a reservation id as closed (by a commit) or lapsed until the retention passes. */
  remember(reservationId: string, mark: typeof closedMark | typeof lapsedMark): void {
    // in place when the row exists (cheaper than INSERT OR REPLACE, which deletes and inserts)
    const forgetAt = this.now + this.retentionMs
    if (this.statements.markLease.run(forgetAt, mark, reservationId).changes === 0)
      this.statements.insertLease.run(reservationId, forgetAt, '[]', mark)
  }

  /** Gives back `usage` once per group, drawn from its open leases in order; they stay open. */
  drawFrom(groups: readonly (readonly string[])[], usage: readonly number[]): void {
    for (const ids of groups) this.drawGroup(ids, usage)
  }

  private drawGroup(ids: readonly string[], usage: readonly number[]): void {
    const left = usage.map((value) => Math.max(0, value))
    for (const id of ids) {
      const lease = this.findLease(id)
      if (lease === undefined || typeof lease === 'string') continue
      const delta = lease.amount.map((held, f) => Math.min(held, left[f]!))
      for (let f = 0; f < delta.length; f++) left[f] = left[f]! - delta[f]!
      this.returnLease(lease.keys, delta)
      this.statements.updateLeaseAmount.run(
        JSON.stringify(lease.amount.map((held, f) => held - delta[f]!)),
        id,
      )
    }
  }

  openLease(reservationId: string, leaseExpiresAt: number, keys: string[], amount: number[]): void {
    this.statements.insertLease.run(
      reservationId,
      leaseExpiresAt,
      JSON.stringify(keys),
      JSON.stringify(amount),
    )
  }

  renewLease(reservationId: string, leaseExpiresAt: number): boolean {
    return Number(this.statements.renewLease.run(leaseExpiresAt, reservationId, this.now).changes) > 0
  }

  /** The first cap the amount would pass, over each counter's window. */
  check(charges: readonly CounterCharge[], amount: number[]): StoreDenial | undefined {
    for (let index = 0; index < charges.length; index++) {
      const charge = charges[index]!
      const caps = charge.caps
      if (caps === null) continue
      for (const unit in caps) {
        const field = unitIndex[unit as LimitUnit]
        const requested = amount[field]!
        if (requested <= 0) continue
        const used = this.total(charge, field)
        const reserved = this.total(charge, tallyFieldCount + field)
        const granted = this.grantedTotal(charge, field)
        if (used + reserved + requested > caps[unit as LimitUnit]! + granted + this.epsilon) {
          const denial: StoreDenial = { index, unit: unit as LimitUnit, used, reserved }
          if (granted > 0) denial.granted = granted
          return denial
        }
      }
    }
    return undefined
  }

  /** Adds a vector to the used (`offset` 0) or reserved (`offset` tallyFieldCount) values of a counter. */
  add(charge: CounterCharge, offset: number, vector: number[]): void {
    const counter = this.entry(charge.key, charge.expiresAt)
    for (let f = 0; f < tallyFieldCount; f++) counter.values[offset + f]! += vector[f]!
    counter.dirty = true
  }

  /**
   * Applies a grant once per id: adds `amount` to what the counter's caps allow (creating the counter),
   * and remembers the id for the retention. `false` when the id was applied already.
   */
  grant({ grantId, counter: charge, amount }: StoreGrantRequest): boolean {
    const row = this.statements.selectGrant.get(grantId) as unknown as [number] | undefined
    if (row !== undefined && row[0] > this.now) return false
    const counter = this.entry(charge.key, charge.expiresAt)
    const granted = counter.granted ?? new Array<number>(tallyFieldCount).fill(0)
    for (const unit in amount) {
      const field = unitIndex[unit as LimitUnit]
      granted[field] = granted[field]! + amount[unit as LimitUnit]!
    }
    counter.granted = granted
    counter.dirty = true
    // forget ids past their retention here only: grants are rare, the hot path never reads this table
    this.statements.pruneGrants.run(this.now)
    if (this.retentionMs > 0) this.statements.insertGrant.run(grantId, this.now + this.retentionMs)
    return true
  }

  /** A counter's totals over its window (`granted` when a grant added to it). */
  state(charge: CounterCharge): CounterState {
    const used = new Array<number>(tallyFieldCount)
    const reserved = new Array<number>(tallyFieldCount)
    for (let f = 0; f < tallyFieldCount; f++) {
      used[f] = this.total(charge, f)
      reserved[f] = this.total(charge, tallyFieldCount + f)
    }
    const state = vectorsToState(charge.key, used, reserved)
    if (this.hasGrants(charge)) {
      const granted = grantedOf((field) => this.grantedTotal(charge, field))
      if (granted !== undefined) state.granted = granted
    }
    return state
  }

  /** Writes every changed counter. */
  flush(): void {
    for (const [key, counter] of this.cache) {
      if (counter === null || !counter.dirty) continue
      const granted = counter.granted === null ? null : JSON.stringify(counter.granted)
      this.statements.upsertCounter.run(key, counter.expiresAt, ...counter.values, granted)
      counter.dirty = false
    }
  }

  private hasGrants(charge: CounterCharge): boolean {
    if (this.load(charge.key)?.granted) return true
    if (charge.window !== undefined) {
      for (const key of charge.window) if (this.load(key)?.granted) return true
    }
    return false
  }

  private grantedTotal(charge: CounterCharge, field: number): number {
    let sum = this.load(charge.key)?.granted?.[field] ?? 0
    if (charge.window !== undefined) {
      for (const key of charge.window) sum += this.load(key)?.granted?.[field] ?? 0
    }
    return sum
  }

  private total(charge: CounterCharge, field: number): number {
    let sum = this.load(charge.key)?.values[field] ?? 0
    if (charge.window !== undefined) {
      for (const key of charge.window) sum += this.load(key)?.values[field] ?? 0
    }
    return sum
  }

  private load(key: string): CachedCounter | null {
    let counter = this.cache.get(key)
    if (counter === undefined) {
      const row = this.statements.selectCounter.get(key) as unknown as
        | [...number[], string | null]
        | undefined
      counter = row === undefined ? null : counterFromRow(row)
      this.cache.set(key, counter)
    }
    return counter
  }

  private entry(key: string, expiresAt: number | null): CachedCounter {
    let counter = this.load(key)
    if (counter === null) {
      counter = { values: new Float64Array(tallyFieldCount * 2), granted: null, dirty: true, expiresAt }
      this.cache.set(key, counter)
    }
    return counter
  }
}

const grantUnits = Object.entries(unitIndex) as [LimitUnit, number][]

/** A cached counter from its row (`[u0…u8, r0…r8, granted]`). */
function counterFromRow(row: readonly (number | string | null)[]): CachedCounter {
  const values = new Float64Array(tallyFieldCount * 2)
  for (let i = 0; i < values.length; i++) values[i] = row[i] as number
  const granted = row[tallyFieldCount * 2]
  return {
    values,
    granted: typeof granted === 'string' ? (JSON.parse(granted) as number[]) : null,
    dirty: false,
    expiresAt: null,
  }
}

/**
 * A state's `granted` (units above 0) from a field's granted amount; `undefined` when none is.
 *
 * @example
 * grantedOf((field) => granted[field]) // { tokens: 500 }
 */
export function grantedOf(
  amountOf: (field: number) => number,
): Partial<Record<LimitUnit, number>> | undefined {
  let granted: Partial<Record<LimitUnit, number>> | undefined
  for (const [unit, field] of grantUnits) {
    const value = amountOf(field)
    if (value <= 0) continue
    granted ??= {}
    granted[unit] = value
  }
  return granted
}
