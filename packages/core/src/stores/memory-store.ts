import type { LimitUnit } from '../limits/limit-unit.ts'
import { tallyFromArray, tallyToArray } from '../usage/tally.ts'
import type {
  BudgetStore,
  CounterCharge,
  CounterState,
  StoreCommitRequest,
  StoreCommitResult,
  StoreDenial,
  StoreReserveRequest,
  StoreReserveResult,
} from './budget-store.ts'
import { tallyFieldCount, unitIndex } from './counter-vector.ts'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Largest rounding error tolerated when comparing USD amounts.
   * @default 1e-9
   */
  epsilon?: number
}

const fieldCount = tallyFieldCount
const reservedOffset = fieldCount
const expiresIndex = fieldCount * 2

interface Lease {
  keys: string[]
  amount: number[]
  expiresAt: number
}

/**
 * A budget store in this process's memory: exact under any interleaving of concurrent calls (each
 * operation runs without yielding), lost on restart and not shared between processes. The default
 * store of `createBudget`.
 *
 * @example
 * const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }], store: memoryStore() })
 */
export function memoryStore({ epsilon = 1e-9 }: MemoryStoreOptions = {}): BudgetStore {
  // Each counter is one Float64Array: used fields, reserved fields, then expiresAt (NaN: never).
  const counters = new Map<string, Float64Array>()
  // Leases in insertion order; with one lease length that is also expiry order.
  const leases = new Map<string, Lease>()
  let nextPruneAt = Number.POSITIVE_INFINITY
  const scratch = new Float64Array(fieldCount)
  const sums = new Float64Array(expiresIndex)

  function entry(key: string, expiresAt: number | null): Float64Array {
    let counter = counters.get(key)
    if (counter === undefined) {
      counter = new Float64Array(expiresIndex + 1)
      counter[expiresIndex] = expiresAt ?? Number.NaN
      if (expiresAt !== null && expiresAt < nextPruneAt) nextPruneAt = expiresAt
      counters.set(key, counter)
    }
    return counter
  }

  function returnLease(lease: Lease): void {
    for (const key of lease.keys) {
      const counter = counters.get(key)
      if (counter === undefined) continue
      for (let f = 0; f < fieldCount; f++) {
        const value = counter[reservedOffset + f]! - lease.amount[f]!
        counter[reservedOffset + f] = value < epsilon ? 0 : value
      }
    }
  }

  /** Returns lapsed leases from the front of the queue; `all` scans every lease. */
  function sweepLeases(now: number, all: boolean): void {
    for (const [id, lease] of leases) {
      if (lease.expiresAt > now) {
        if (all) continue
        return
      }
      leases.delete(id)
      returnLease(lease)
    }
  }

  function prune(now: number): void {
    if (now < nextPruneAt) return
    nextPruneAt = Number.POSITIVE_INFINITY
    for (const [key, counter] of counters) {
      const expiresAt = counter[expiresIndex]!
      if (expiresAt <= now) counters.delete(key)
      else if (expiresAt < nextPruneAt) nextPruneAt = expiresAt
    }
  }

  /** Used and reserved of a charge (summed over a rolling window's buckets) into `out`. */
  function sum(charge: CounterCharge, out: Float64Array): Float64Array {
    const own = counters.get(charge.key)
    if (own === undefined) out.fill(0)
    else for (let f = 0; f < expiresIndex; f++) out[f] = own[f]!
    if (charge.window !== undefined) {
      for (const key of charge.window) {
        const counter = counters.get(key)
        if (counter !== undefined) for (let f = 0; f < expiresIndex; f++) out[f]! += counter[f]!
      }
    }
    return out
  }

  function check(charges: readonly CounterCharge[], amount: readonly number[]): StoreDenial | undefined {
    for (let index = 0; index < charges.length; index++) {
      const charge = charges[index]!
      const caps = charge.caps
      if (caps === null) continue
      let totals: Float64Array | undefined
      for (const unit in caps) {
        const field = unitIndex[unit as LimitUnit]
        const requested = amount[field]!
        if (requested <= 0) continue
        totals ??= sum(charge, sums)
        const used = totals[field]!
        const reserved = totals[reservedOffset + field]!
        if (used + reserved + requested > caps[unit as LimitUnit]! + epsilon) {
          return { index, unit: unit as LimitUnit, used, reserved }
        }
      }
    }
    return undefined
  }

  function state(charge: CounterCharge): CounterState {
    const totals = sum(charge, sums)
    return {
      key: charge.key,
      used: tallyFromArray(totals, 0),
      reserved: tallyFromArray(totals, reservedOffset),
    }
  }

  return {
    name: 'memory',

    async reserve({
      reservationId,
      now,
      leaseExpiresAt,
      counters: charges,
      amount,
      enforce,
    }: StoreReserveRequest) {
      sweepLeases(now, false)
      prune(now)
      // a plain array: allocating a typed array per call costs more than the whole operation
      const vector = tallyToArray(amount, [0, 0, 0, 0, 0, 0, 0, 0, 0])
      let exceeded = check(charges, vector)
      if (exceeded !== undefined) {
        sweepLeases(now, true)
        exceeded = check(charges, vector)
        if (exceeded !== undefined && enforce)
          return { ok: false, denial: exceeded } satisfies StoreReserveResult
      }
      const keys: string[] = new Array(charges.length)
      for (let i = 0; i < charges.length; i++) {
        const charge = charges[i]!
        const counter = entry(charge.key, charge.expiresAt)
        for (let f = 0; f < fieldCount; f++) counter[reservedOffset + f]! += vector[f]!
        keys[i] = charge.key
      }
      leases.set(reservationId, { keys, amount: vector, expiresAt: leaseExpiresAt })
      return { ok: true, counters: charges.map(state), exceeded } satisfies StoreReserveResult
    },

    async commit({
      reservationId,
      now,
      counters: charges,
      usage,
    }: StoreCommitRequest): Promise<StoreCommitResult> {
      sweepLeases(now, false)
      prune(now)
      const lease = reservationId === null ? undefined : leases.get(reservationId)
      if (lease !== undefined) {
        leases.delete(reservationId!)
        returnLease(lease)
      }
      if (usage !== null) {
        const vector = tallyToArray(usage, scratch)
        for (const charge of charges) {
          const counter = entry(charge.key, charge.expiresAt)
          for (let f = 0; f < fieldCount; f++) counter[f]! += vector[f]!
        }
      }
      return { counters: charges.map(state), reservationFound: lease !== undefined }
    },

    async renew({ reservationId, now, leaseExpiresAt }) {
      sweepLeases(now, false)
      const lease = leases.get(reservationId)
      if (lease === undefined || lease.expiresAt <= now) return false
      // Re-insert so the queue stays in expiry order for the common case.
      leases.delete(reservationId)
      lease.expiresAt = leaseExpiresAt
      leases.set(reservationId, lease)
      return true
    },

    async read({ now, counters: charges }) {
      sweepLeases(now, true)
      prune(now)
      return charges.map(state)
    },

    async list({ now }) {
      sweepLeases(now, true)
      prune(now)
      return [...counters.keys()].map((key) => state({ key, caps: null, expiresAt: null }))
    },

    async dispose() {
      counters.clear()
      leases.clear()
    },
  }
}
