import type { CounterState } from './budget-store.ts'

/**
 * A reservation of the memory store: what it holds, on which counters, until when. A lease is also its
 * own reserve result while that has nothing else to say (`ok`, no state, nothing exceeded, itself as
 * the handle: see the prototype's fields below), so most reserves make no result object.
 */
export class Lease {
  readonly id: string
  /**
   * One array per lease: what it still holds (the first `tallyFieldCount` numbers, in `tallyFields`
   * order; a child budget's hold shrinks as its calls settle), then the counter slots it holds them on,
   * each followed by its generation (`[…amount, slot, generation, …]`: a dropped counter gets nothing
   * back).
   */
  held: number[]
  expiresAt: number
  open: boolean
  /** Closed by a commit (settle, release or record): a redelivered commit adds nothing. */
  closed: boolean
  /** In the store's index by id (not when reserved with `once`: found through its handle). */
  indexed: boolean
  // as a reserve result (on the prototype, below): held, no state, nothing exceeded
  declare readonly ok: true
  declare readonly counters: CounterState[]
  declare readonly exceeded: undefined

  constructor(
    id: string,
    held: number[],
    expiresAt: number,
    open: boolean,
    closed: boolean,
    indexed: boolean,
  ) {
    this.id = id
    this.held = held
    this.expiresAt = expiresAt
    this.open = open
    this.closed = closed
    this.indexed = indexed
  }

  /** As a reserve result: the handle the engine passes back. */
  get handle(): Lease {
    return this
  }
}

Object.defineProperties(Lease.prototype, {
  ok: { value: true },
  counters: { value: Object.freeze([]) },
  exceeded: { value: undefined },
})

/** What the queue holds in place of a lease it passed. */
const passed = new Lease('', [], 0, false, true, false)

/**
 * The memory store's open leases in expiry order (for one lease length, insertion order). The store
 * hands each lease to the engine as an opaque handle, so closing one needs no lookup. A renewed lease is
 * queued again; its older entry is skipped as stale.
 */
export class LeaseQueue {
  private leases: Lease[] = []
  private expiries: number[] = []
  /** The queue is `[head, tail)` of the arrays; every entry before `head` is `passed`. */
  private head = 0
  private tail = 0

  /** The open lease with this id (a scan: only for a lease reserved with `once` and closed by id). */
  find(id: string): Lease | undefined {
    for (let i = this.tail - 1; i >= this.head; i--) {
      const lease = this.leases[i]!
      if (lease.id === id && lease.open) return lease
    }
    return undefined
  }

  push(lease: Lease): void {
    // an empty queue starts over at the front: while reservations close before the next one opens
    // (a loop of pairs), the arrays neither grow nor get copied
    if (this.head === this.tail) {
      // (arrays a burst grew large are let go of)
      if (this.leases.length > 1024) this.clear()
      this.head = this.tail = 0
    }
    this.leases[this.tail] = lease
    this.expiries[this.tail] = lease.expiresAt
    this.tail++
  }

  /**
   * Closes leases that lapsed by `now`, calling `onLapse` for each: from the front of the queue
   * (cheap, every operation), or every lease (`all`, before a refusal or a read).
   */
  sweep(now: number, all: boolean, onLapse: (lease: Lease) => void): void {
    const { leases, expiries, tail } = this
    let i = this.head
    for (; i < tail; i++) {
      const lease = leases[i]!
      if (lease.open && expiries[i] === lease.expiresAt) {
        if (lease.expiresAt > now) break
        lease.open = false
        onLapse(lease)
      }
      // passed (closed, queued again, or lapsed): the queue lets go of it now, not at the next
      // compaction (a closed lease kept alive by the queue would be copied by every minor GC)
      leases[i] = passed
    }
    this.head = i
    if (all) {
      for (; i < tail; i++) {
        const lease = leases[i]!
        if (lease.open && expiries[i] === lease.expiresAt && lease.expiresAt <= now) {
          lease.open = false
          onLapse(lease)
        }
      }
    }
    this.compact()
  }

  clear(): void {
    this.leases = []
    this.expiries = []
    this.head = this.tail = 0
  }

  /** Drops the swept front once it is most of the queue (amortised O(1)). */
  private compact(): void {
    if (this.head < 1024 || this.head * 2 < this.tail) return
    this.leases = this.leases.slice(this.head, this.tail)
    this.expiries = this.expiries.slice(this.head, this.tail)
    this.tail -= this.head
    this.head = 0
  }
}
