import type { Lease } from './lease-queue.ts'

const none: number[] = []

/**
 * The memory store's index of reservations by id: open leases, and closed or lapsed ones for a bounded
 * retention (by time and by count), so a redelivered reserve or commit is applied once. A closed lease
 * keeps only its id and flags (its array is dropped).
 *
 * @example
 * const index = new LeaseIndex(60_000, 10_000)
 * index.remember(lease, now)
 */
export class LeaseIndex {
  readonly byId = new Map<string, Lease>()
  private queue: Lease[] = []
  private forgetAt: number[] = []
  private head = 0

  private readonly retentionMs: number
  private readonly maxRetained: number

  constructor(retentionMs: number, maxRetained: number) {
    this.retentionMs = retentionMs
    this.maxRetained = maxRetained
  }

  /** Keeps a closed or lapsed lease findable until `now + retentionMs` (or until the count cap). */
  remember(lease: Lease, now: number): void {
    lease.held = none
    lease.indexed = true
    this.byId.set(lease.id, lease)
    this.queue.push(lease)
    this.forgetAt.push(now + this.retentionMs)
  }

  /** Forgets closed leases past their retention or beyond the count cap. */
  prune(now: number): void {
    const { queue, forgetAt, byId } = this
    let i = this.head
    for (; i < queue.length; i++) {
      if (forgetAt[i]! > now && queue.length - i <= this.maxRetained) break
      const lease = queue[i]!
      if (!lease.open && byId.get(lease.id) === lease) byId.delete(lease.id)
    }
    this.head = i
    if (this.head >= 1024 && this.head * 2 >= queue.length) {
      this.queue = queue.slice(this.head)
      this.forgetAt = forgetAt.slice(this.head)
      this.head = 0
    }
  }

  clear(): void {
    this.byId.clear()
    this.queue = []
    this.forgetAt = []
    this.head = 0
  }
}
