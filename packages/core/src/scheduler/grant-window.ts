import type { Budget } from '../budget/budget.ts'
import type { Threshold } from '../limits/threshold.ts'
import { poolRefusal } from './pool-refusal.ts'
import { minimumGrants, type Priority } from './priority.ts'
import { readPoolRemaining } from './read-pool-remaining.ts'
import type { ResolvedSchedulerOptions } from './resolve-scheduler-options.ts'
import type { ScheduledWindow } from './scheduled-window.ts'
import { splitWindow } from './split-window.ts'
import { usableTokens } from './usable-tokens.ts'

/** What granting from a pool reads of its scheduler (a {@link ContextScheduler} is one). */
export type WindowGrantSettings = Readonly<
  ResolvedSchedulerOptions & {
    pool: Budget
    /** The pool's tokens not granted nor used, as the scheduler last saw them. */
    availableTokens: number
  }
>

/**
 * Carves a window for `agentId` from the pool: `wanted` or what the pool has left for `priority`, never
 * less than the priority's minimum grant (`BudgetExceededError` then, and nothing is taken). The window's
 * budget is a child of the pool whose thresholds raise SIGWARN and SIGSTOP.
 *
 * @example
 * const window = await grantWindow(scheduler, { agentId: 'a', task: undefined, priority: 'HIGH', wanted: 8000 })
 */
export async function grantWindow(
  settings: WindowGrantSettings,
  {
    agentId,
    task,
    priority,
    wanted,
  }: { agentId: string; task: string | undefined; priority: Priority; wanted: number },
): Promise<ScheduledWindow> {
  const usable = usableTokens(
    await readPoolRemaining(settings.pool),
    priority,
    settings.criticalReserveTokens,
  )
  const needed = Math.min(wanted, minimumGrants[priority])
  const granted = Math.min(wanted, usable)
  if (granted < needed) {
    throw poolRefusal({
      agentId,
      requested: needed,
      remaining: usable,
      totalTokens: settings.totalTokens,
      availableTokens: settings.availableTokens,
    })
  }
  const budget = await settings.pool.child(
    {},
    { tokens: granted, name: agentId, thresholds: windowThresholds(settings.warnThreshold) },
  )
  const window: ScheduledWindow = {
    agentId,
    task,
    priority,
    total: granted,
    lookupBudget: 0,
    reasoningBudget: 0,
    lookupRatio: settings.lookupRatio,
    reasoningRatio: settings.reasoningRatio,
    halted: false,
    budget,
  }
  splitWindow(window, settings.lookupRatio)
  return window
}

/** A warning at `warnThreshold` (SIGWARN) unless it is 1, and the final threshold at 100 % (SIGSTOP). */
function windowThresholds(warnThreshold: number): Threshold[] {
  return warnThreshold < 1
    ? [
        { at: warnThreshold, severity: 'warning' },
        { at: 1, severity: 'final' },
      ]
    : [{ at: 1, severity: 'final' }]
}
