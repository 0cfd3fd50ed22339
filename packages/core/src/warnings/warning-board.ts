import type { LimitUnit } from '../limits/limit-unit.ts'
import type { BudgetWarning } from './budget-warning.ts'

interface Entry {
  warning: BudgetWarning
  delivered: Set<string>
  expiresAt: number | null
}

/**
 * Pending warnings by counter, and which conversations have been shown each one. A newer crossing of the
 * same counter and unit replaces the older one, so a conversation sees the most recent state once.
 */
export class WarningBoard {
  private readonly entries = new Map<string, Entry[]>()
  private readonly byId = new Map<string, Entry>()
  private nextPruneAt = Number.POSITIVE_INFINITY

  get size(): number {
    return this.entries.size
  }

  post(boardKey: string, warning: BudgetWarning, expiresAt: number | null): void {
    let list = this.entries.get(boardKey)
    if (list === undefined) {
      list = []
      this.entries.set(boardKey, list)
    }
    const entry: Entry = { warning, delivered: new Set(), expiresAt }
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

  /** Warnings of this counter not yet shown to `conversation`; marks them shown. */
  take(boardKey: string, conversation: string, into: BudgetWarning[]): void {
    const list = this.entries.get(boardKey)
    if (list === undefined) return
    for (const entry of list) {
      if (entry.delivered.has(conversation)) continue
      entry.delivered.add(conversation)
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

  prune(now: number): void {
    if (now < this.nextPruneAt) return
    this.nextPruneAt = Number.POSITIVE_INFINITY
    for (const [key, list] of this.entries) {
      const kept = list.filter((entry) => entry.expiresAt === null || entry.expiresAt > now)
      for (const entry of list) if (!kept.includes(entry)) this.byId.delete(entry.warning.id)
      if (kept.length === 0) this.entries.delete(key)
      else {
        this.entries.set(key, kept)
        for (const entry of kept) {
          if (entry.expiresAt !== null && entry.expiresAt < this.nextPruneAt)
            this.nextPruneAt = entry.expiresAt
        }
      }
    }
  }
}
