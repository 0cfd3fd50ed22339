import type { ContextWindow } from './context-window.ts'

/**
 * The scheduler's own, writable view of a {@link ContextWindow}: its size, split and halt state change
 * with `replenish` and the window's signals.
 *
 * @example
 * const window: ScheduledWindow = { ...contextWindow }
 * window.halted = true
 */
export type ScheduledWindow = ContextWindow & {
  total: number
  lookupBudget: number
  reasoningBudget: number
  halted: boolean
}
