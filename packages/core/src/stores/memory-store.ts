import type { LimitUnit } from '../limits/limit-unit.ts'
import { tallyFromArray, tallyToArray } from '../usage/tally.ts'
import type {
  BudgetStore,
  CounterCharge,
  CounterState,
  StoreCommitRequest,
  StoreCommitResult,
  StoreDenial,
  StoreGrantRequest,
  StoreGrantResult,
  StoreReserveRequest,
  StoreReserveResult,
} from './budget-store.ts'
import { CounterGrants } from './counter-grants.ts'
import { CounterSlab } from './counter-slab.ts'
import { tallyFieldCount, unitIndex } from './counter-vector.ts'
import { LeaseIndex } from './lease-index.ts'
import { Lease, LeaseQueue } from './lease-queue.ts'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Largest rounding error tolerated when comparing USD amounts.
   * @default 1e-9
   */
  epsilon?: number
  /**
   * How long the id of a closed reservation (or recorded usage) is remembered, so a repeated commit of
   * it adds nothing (ms, of the budget's clock).
   * @default 60_000
   */
  retentionMs?: number
  /**
   * At most this many closed ids are remembered (the oldest are forgotten first). A retried settle is
   * recognised by its reservation whatever this is; this bounds lookups by id only.
   * @default 10_000
   */
  maxRetained?: number
}

/** What `watchedOnly` operations return while no watch level is reached (never written to). */
const noStates: CounterState[] = Object.freeze([]) as unknown as CounterState[]

/** The commit results without states, shared (frozen: a caller that keeps one cannot change another's). */
const closedNoStates: StoreCommitResult = Object.freeze({ counters: noStates, reservationFound: true })
const notFoundNoStates: StoreCommitResult = Object.freeze({ counters: noStates, reservationFound: false })

/** A commit's result: a shared frozen one when it returns no states (most commits). */
function commitResult(states: CounterState[], found: boolean): StoreCommitResult {
  if (states === noStates) return found ? closedNoStates : notFoundNoStates
  return { counters: states, reservationFound: found }
}

const fieldCount = tallyFieldCount
const tokensField = unitIndex.tokens
const inputTokensField = unitIndex.inputTokens
const outputTokensField = unitIndex.outputTokens
const costUsdField = unitIndex.costUsd
const requestsField = unitIndex.requests
const reservedOffset = fieldCount
const expiresIndex = fieldCount * 2

/**
 * A budget store in this process's memory: exact under any interleaving of concurrent calls (each
 * operation runs without yielding), lost on restart and not shared between processes. The default
 * store of `createBudget`.
 *
 * @example
 * const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }], store: memoryStore() })
 */
export function memoryStore({
  epsilon = 1e-9,
  retentionMs = 60_000,
  maxRetained = 10_000,
}: MemoryStoreOptions = {}): BudgetStore {
  const counters = new CounterSlab()
  const grants = new CounterGrants()
  const leases = new LeaseQueue()
  const index = new LeaseIndex(retentionMs, maxRetained)
  let sweepTime = 0
  const scratch = [0, 0, 0, 0, 0, 0, 0, 0, 0]
  const sums = new Float64Array(expiresIndex)
  // per operation: the slots `check` found (-1: none yet, -2: not looked up), and a commit's slots
  const found: number[] = []
  const touched: number[] = []

  function returnLease(lease: Lease): void {
    const held = lease.held
    for (let i = fieldCount; i < held.length; i += 2) counters.release(held[i]!, held[i + 1]!, held, epsilon)
  }

  function lapse(lease: Lease): void {
    returnLease(lease)
    index.remember(lease, sweepTime)
  }

  /** Returns lapsed leases: from the front of the queue, or every one (`all`). */
  function sweepLeases(now: number, all: boolean): void {
    sweepTime = now
    leases.sweep(now, all, lapse)
    index.prune(now)
  }

  /** The lease of a reservation (open, or closed and still remembered): the handle, else by id. */
  function leaseOf(reservationId: string, handle: unknown): Lease | undefined {
    if (handle instanceof Lease && handle.id === reservationId) return handle
    return index.byId.get(reservationId) ?? leases.find(reservationId)
  }

  /** Gives back `vector` once per group, drawn from its open reservations in order. */
  function drawFrom(groups: readonly (readonly string[])[], vector: readonly number[]): void {
    for (const ids of groups) drawGroup(ids, vector)
  }

  function drawGroup(ids: readonly string[], vector: readonly number[]): void {
    const left = vector.map((value) => Math.max(0, value))
    for (const id of ids) {
      const lease = index.byId.get(id)
      if (lease === undefined || !lease.open) continue
      const delta = new Array<number>(fieldCount)
      const held = lease.held
      for (let f = 0; f < fieldCount; f++) {
        delta[f] = Math.min(held[f]!, left[f]!)
        held[f] = held[f]! - delta[f]!
        left[f] = left[f]! - delta[f]!
      }
      for (let i = fieldCount; i < held.length; i += 2)
        counters.release(held[i]!, held[i + 1]!, delta, epsilon)
    }
  }

  /** Used and reserved of a charge (summed over a rolling window's buckets) into `out`. */
  function sum(charge: CounterCharge, out: Float64Array): Float64Array {
    counters.copyInto(counters.slotOf(charge.key), out)
    if (charge.window !== undefined) {
      for (const key of charge.window) {
        const slot = counters.slotOf(key)
        if (slot !== -1) counters.addInto(slot, out)
      }
    }
    return out
  }

  function check(charges: readonly CounterCharge[], amount: readonly number[]): StoreDenial | undefined {
    for (let index = 0; index < charges.length; index++) {
      const charge = charges[index]!
      const caps = charge.caps
      if (caps === null) continue
      let slot = -2
      for (const unit in caps) {
        const field = unitIndex[unit as LimitUnit]
        const requested = amount[field]!
        if (requested <= 0) continue
        if (slot === -2) {
          slot = counters.slotOf(charge.key)
          found[index] = slot
        }
        // only the capped field's totals: copying all 18 numbers costs more than the check
        let used = counters.value(slot, field)
        let reserved = counters.value(slot, reservedOffset + field)
        if (charge.window !== undefined) {
          for (const key of charge.window) {
            const bucket = counters.slotOf(key)
            used += counters.value(bucket, field)
            reserved += counters.value(bucket, reservedOffset + field)
          }
        }
        const granted = grants.size === 0 ? 0 : grants.over(charge, unit as LimitUnit)
        if (used + reserved + requested > caps[unit as LimitUnit]! + granted + epsilon) {
          const denial: StoreDenial = { index, unit: unit as LimitUnit, used, reserved }
          if (granted > 0) denial.granted = granted
          return denial
        }
      }
    }
    return undefined
  }

  /** The used total of a charge's field over its window (`slot`: its key's, when known). */
  function usedOf(charge: CounterCharge, field: number, slot: number): number {
    let used = counters.value(slot === -2 ? counters.slotOf(charge.key) : slot, field)
    if (charge.window !== undefined) {
      for (const key of charge.window) used += counters.value(counters.slotOf(key), field)
    }
    return used
  }

  /**
   * Every state, or none (`watchedOnly`) while no counter's used stands at one of its `watch` levels
   * (`slots`: the counters' slots, when the operation has them).
   */
  function statesOf(
    charges: readonly CounterCharge[],
    watchedOnly: boolean | undefined,
    slots: readonly number[] | undefined,
  ): CounterState[] {
    if (watchedOnly === true && !watchReached(charges, slots)) return noStates
    return charges.map(state)
  }

  function watchReached(charges: readonly CounterCharge[], slots: readonly number[] | undefined): boolean {
    for (let index = 0; index < charges.length; index++) {
      const charge = charges[index]!
      const watch = charge.watch
      if (watch === undefined) continue
      const slot = slots === undefined ? -2 : slots[index]!
      // each unit by name (a loop over the keys would look each unit's field up by string)
      if (reached(charge, watch.tokens, tokensField, slot)) return true
      if (reached(charge, watch.inputTokens, inputTokensField, slot)) return true
      if (reached(charge, watch.outputTokens, outputTokensField, slot)) return true
      if (reached(charge, watch.costUsd, costUsdField, slot)) return true
      if (reached(charge, watch.requests, requestsField, slot)) return true
    }
    return false
  }

  function reached(charge: CounterCharge, level: number | undefined, field: number, slot: number): boolean {
    return level !== undefined && usedOf(charge, field, slot) >= level
  }

  function state(charge: CounterCharge): CounterState {
    const totals = sum(charge, sums)
    const state: CounterState = {
      key: charge.key,
      used: tallyFromArray(totals, 0),
      reserved: tallyFromArray(totals, reservedOffset),
    }
    if (grants.size > 0) addGranted(state, charge, false)
    return state
  }

  function addGranted(state: CounterState, charge: CounterCharge, own: boolean): CounterState {
    const granted = grants.unitsOf(charge, own)
    if (granted !== undefined) state.granted = granted
    return state
  }

  /** Period ends: counters, and the grants that ended with them. */
  function prune(now: number): void {
    counters.prune(now)
    if (grants.size > 0) grants.prune(now)
  }

  const store: BudgetStore & Required<Pick<BudgetStore, 'reserveSync' | 'commitSync'>> = {
    name: 'memory',

    // A plain result for callers of the store's own API (wrappers may spread or serialize it); the
    // engine's `reserveSync` gets the lease itself, which is its own result.
    async reserve(request: StoreReserveRequest) {
      const result = store.reserveSync(request)
      if (!(result instanceof Lease)) return result
      return { ok: true, counters: result.counters, exceeded: result.exceeded, handle: result }
    },

    async commit(request: StoreCommitRequest) {
      return store.commitSync(request)
    },

    reserveSync({
      reservationId,
      now,
      leaseExpiresAt,
      counters: charges,
      amount,
      enforce,
      once,
      watchedOnly,
    }: StoreReserveRequest) {
      sweepLeases(now, false)
      prune(now)
      const known = once === true ? undefined : index.byId.get(reservationId)
      if (known !== undefined) {
        return {
          ok: true,
          counters: charges.map(state),
          exceeded: undefined,
          handle: known,
          alreadyApplied: true,
        } satisfies StoreReserveResult
      }
      // the amount, then [slot, generation] per counter: one plain array (a typed array costs more)
      const held: number[] = tallyToArray(
        amount,
        // a literal for one counter (packed, no holes); the slot and generation are set below
        charges.length === 1 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] : new Array(fieldCount + charges.length * 2),
      )
      for (let i = 0; i < charges.length; i++) found[i] = -2
      let exceeded = check(charges, held)
      if (exceeded !== undefined) {
        sweepLeases(now, true)
        exceeded = check(charges, held)
        if (exceeded !== undefined && enforce)
          return { ok: false, denial: exceeded } satisfies StoreReserveResult
      }
      for (let i = 0; i < charges.length; i++) {
        const charge = charges[i]!
        const known = found[i]!
        const slot = known >= 0 ? known : counters.ensure(charge.key, charge.expiresAt)
        counters.add(slot, reservedOffset, held)
        held[fieldCount + i * 2] = slot
        held[fieldCount + i * 2 + 1] = counters.generation(slot)
        touched[i] = slot
      }
      const lease = new Lease(reservationId, held, leaseExpiresAt, true, false, once !== true)
      leases.push(lease)
      if (lease.indexed) index.byId.set(reservationId, lease)
      const states = statesOf(charges, watchedOnly, touched)
      // nothing to say but that it holds: the lease is the result (see Lease)
      if (states === noStates && exceeded === undefined) return lease satisfies StoreReserveResult
      return { ok: true, counters: states, exceeded, handle: lease } satisfies StoreReserveResult
    },

    commitSync({
      reservationId,
      now,
      counters: charges,
      usage,
      handle,
      drawFrom: holds,
      once,
      watchedOnly,
    }: StoreCommitRequest): StoreCommitResult {
      sweepLeases(now, false)
      prune(now)
      let open = false
      if (reservationId !== null && (once !== true || handle !== undefined)) {
        let lease = leaseOf(reservationId, handle)
        if (lease?.closed) {
          return { counters: charges.map(state), reservationFound: false, alreadyApplied: true }
        }
        if (lease === undefined) {
          lease = new Lease(reservationId, [], now, false, true, true)
        } else if (lease.open) {
          open = true
          lease.open = false
          returnLease(lease)
        }
        lease.closed = true
        // Closed through its handle (the engine's path): the handle itself tells a retry it was
        // applied, so the id is dropped now. Closed by id only: remembered for the retention.
        if (lease !== handle) index.remember(lease, now)
        else if (lease.indexed) index.byId.delete(reservationId)
      }
      if (usage === null) return commitResult(statesOf(charges, watchedOnly, undefined), open)
      const vector = tallyToArray(usage, scratch)
      for (let i = 0; i < charges.length; i++) {
        const charge = charges[i]!
        const slot = counters.ensure(charge.key, charge.expiresAt)
        counters.add(slot, 0, vector)
        touched[i] = slot
      }
      if (holds !== undefined) drawFrom(holds, vector)
      // drawing from holds only lowers reserved amounts: the slots stay the counters'
      return commitResult(statesOf(charges, watchedOnly, touched), open)
    },

    async renew({ reservationId, now, leaseExpiresAt, handle }) {
      sweepLeases(now, false)
      const lease = leaseOf(reservationId, handle)
      if (lease === undefined || !lease.open || lease.expiresAt <= now) return false
      // Queued again so the queue stays in expiry order for the common case.
      lease.expiresAt = leaseExpiresAt
      leases.push(lease)
      return true
    },

    // Reads return lapsed leases but drop no counter: ended periods stay listed until the next write.
    async read({ now, counters: charges }) {
      sweepLeases(now, true)
      return charges.map(state)
    },

    async list({ now }) {
      sweepLeases(now, true)
      return [...counters.keys()].map((key) => {
        const charge: CounterCharge = { key, caps: null, expiresAt: null }
        return addGranted(state(charge), charge, true)
      })
    },

    async grant({ grantId, now, counter, amount }: StoreGrantRequest): Promise<StoreGrantResult> {
      sweepLeases(now, false)
      prune(now)
      const known = index.byId.get(grantId)
      if (known === undefined) {
        counters.ensure(counter.key, counter.expiresAt)
        grants.add(counter.key, amount, counter.expiresAt)
        const record = new Lease(grantId, [], now, false, true, true)
        index.remember(record, now)
      }
      return { counter: state(counter), alreadyApplied: known !== undefined }
    },

    async dispose() {
      counters.clear()
      grants.clear()
      leases.clear()
      index.clear()
    },
  }
  return store
}
