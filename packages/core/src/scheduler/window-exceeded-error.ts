import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import type { ContextWindow, WindowUsage } from './context-window.ts'

/**
 * The `BudgetExceededError` (scope `agent`) of usage recorded past a window or while it is halted.
 *
 * @example
 * throw await windowExceededError({ window, usage, requested: 700, halted: false })
 */
export async function windowExceededError({
  window,
  usage,
  requested,
  halted,
}: {
  window: ContextWindow
  /** The window's usage, the recorded tokens included. */
  usage: WindowUsage
  /** The recorded tokens. */
  requested: number
  /** Whether the window was halted before the usage was recorded. */
  halted: boolean
}): Promise<BudgetExceededError> {
  const [status] = await window.budget.status({})
  return new BudgetExceededError({
    scope: 'agent',
    scopeId: window.agentId,
    limitName: status!.limitName,
    unit: 'tokens',
    limit: window.total,
    used: usage.totalUsed,
    reserved: status!.reserved,
    requested,
    remaining: usage.remaining,
    period: 'none',
    resetsAt: null,
    message: halted
      ? `budget exceeded: agent "${window.agentId}" is halted (SIGSTOP) until its window is replenished`
      : undefined,
  })
}
