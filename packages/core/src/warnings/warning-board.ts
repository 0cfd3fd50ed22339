import type { LimitUnit } from '../limits/limit-unit.ts'
import type { BudgetWarning } from './budget-warning.ts'

interface Entry {
  warning: BudgetWarning
  /** Conversations shown the warning → when they were last seen (oldest first). */
  delivered: Map<string, number>
  expiresAt: number | null
  /** When a conversation last asked for this counter's warnings; -1 until the first sweep sees it. */
  touchedAt: number
}

/**
 * A conversation not seen for this long is forgotten (it may be shown a warning again when it returns).
 *
 * @example
 * const forgotten = now - lastSeen > conversationIdleMs
 */
export const conversationIdleMs = 3_600_000

/**
 * At most this many conversations are remembered per warning; the least recently seen go first.
 *
 * @example
 * if (delivered.size > maxDeliveries) delivered.delete(delivered.keys().next().value)
 */
export const maxDeliveries = 50_000
const sweepEveryMs = conversationIdleMs / 4

/**
 * Pending warnings by counter, and which conversations have been shown each one. A newer crossing of the
 * same counter and unit replaces the older one, so a conversation sees the most recent state once.
 * Bounded: a warning goes when its period ends, or when no conversation has asked for it for
 * {@link conversationIdleMs}; a conversation is forgotten after that long without a call, and each
 * warning remembers at most {@link maxDeliveries} conversations.
 *
 * @example
 * const board = new WarningBoard()
 * board.post(charge.boardKey, warning, charge.charge.expiresAt)
 * board.take(charge.boardKey, 'thread-1', into, now) // once per conversation
 */
export class WarningBoard {
  private readonly entries = new Map<string, Entry[]>()
  private readonly byId = new Map<string, Entry>()
  private nextPruneAt = Number.POSITIVE_INFINITY
  private nextSweepAt = Number.NEGATIVE_INFINITY

  get size(): number {
    return this.entries.size
  }

  /** Conversations remembered, over all warnings (for tests and benchmarks). */
  get deliveryCount(): number {
    let count = 0
    for (const list of this.entries.values()) for (const entry of list) count += entry.delivered.size
    return count
  }

  post(boardKey: string, warning: BudgetWarning, expiresAt: number | null): void {
    let list = this.entries.get(boardKey)
    if (list === undefined) {
      list = []
      this.entries.set(boardKey, list)
    }
    const entry: Entry = { warning, delivered: new Map(), expiresAt, touchedAt: -1 }
    const index = list.findIndex((item) => item.warning.unit === warning.unit)
    if (index === -1) list.push(entry)
    else {
      this.byId.delete(list[index]!.warning.id)
      list[index] = entry
    }
    this.byId.set(warning.id, entry)
    if (expiresAt !== null && expiresAt < this.nextPruneAt) this.nextPruneAt = expiresAt
  }

  /** The highest threshold posted for this counter and unit, or 0. */
  postedThreshold(boardKey: string, unit: LimitUnit): number {
    const list = this.entries.get(boardKey)
    if (list === undefined) return 0
    for (const entry of list) if (entry.warning.unit === unit) return entry.warning.threshold
    return 0
  }

  /** Warnings of this counter not yet shown to `conversation`; marks them shown at `now`. */
  take(boardKey: string, conversation: string, into: BudgetWarning[], now: number): void {
    const list = this.entries.get(boardKey)
    if (list === undefined) return
    for (const entry of list) {
      entry.touchedAt = now
      const delivered = entry.delivered
      const seen = delivered.get(conversation)
      if (seen !== undefined) {
        // refresh now and then (the map stays ordered by when conversations were last seen)
        if (now - seen > sweepEveryMs) {
          delivered.delete(conversation)
          delivered.set(conversation, now)
        }
        continue
      }
      delivered.set(conversation, now)
      if (delivered.size > maxDeliveries) delivered.delete(delivered.keys().next().value!)
      into.push(entry.warning)
    }
  }

  /**
   * Marks warnings as not shown to `conversation` again (the call that carried them failed), unless a
   * newer crossing replaced them meanwhile.
   */
  restore(conversation: string, warnings: readonly BudgetWarning[]): void {
    for (const warning of warnings) this.byId.get(warning.id)?.delivered.delete(conversation)
  }

  /** Drops warnings whose period ended and, now and then, idle conversations and warnings. */
  prune(now: number): void {
    const sweep = now >= this.nextSweepAt
    if (now < this.nextPruneAt && !sweep) return
    if (sweep) this.nextSweepAt = now + sweepEveryMs
    this.nextPruneAt = Number.POSITIVE_INFINITY
    const idleBefore = now - conversationIdleMs
    for (const [key, list] of this.entries) {
      const kept = list.filter((entry) => {
        if (entry.expiresAt !== null && entry.expiresAt <= now) return false
        if (!sweep) return true
        for (const [conversation, seen] of entry.delivered) {
          if (seen > idleBefore) break
          entry.delivered.delete(conversation)
        }
        if (entry.touchedAt < 0) entry.touchedAt = now
        return entry.delivered.size > 0 || entry.touchedAt > idleBefore
      })
      for (const entry of list) if (!kept.includes(entry)) this.byId.delete(entry.warning.id)
      if (kept.length === 0) this.entries.delete(key)
      else {
        if (kept.length !== list.length) this.entries.set(key, kept)
        for (const entry of kept) {
          if (entry.expiresAt !== null && entry.expiresAt < this.nextPruneAt)
            this.nextPruneAt = entry.expiresAt
        }
      }
    }
  }
}
