import type { WindowGrantSettings } from './grant-window.ts'
import { poolRefusal } from './pool-refusal.ts'
import { readPoolRemaining } from './read-pool-remaining.ts'
import type { ScheduledWindow } from './scheduled-window.ts'
import { splitWindow } from './split-window.ts'
import { usableTokens } from './usable-tokens.ts'

/**
 * Grows a window by `tokens` from the pool (only CRITICAL may take the critical reserve) and splits it
 * again; `BudgetExceededError` when the pool cannot give them, and nothing is taken.
 *
 * @example
 * await extendWindow(scheduler, window, 2000) // window.total grew by 2000
 */
export async function extendWindow(
  settings: WindowGrantSettings,
  window: ScheduledWindow,
  tokens: number,
): Promise<void> {
  const usable = usableTokens(
    await readPoolRemaining(settings.pool),
    window.priority,
    settings.criticalReserveTokens,
  )
  if (tokens > usable) {
    throw poolRefusal({
      agentId: window.agentId,
      requested: tokens,
      remaining: usable,
      totalTokens: settings.totalTokens,
      availableTokens: settings.availableTokens,
    })
  }
  await window.budget.extend({ tokens })
  window.total += tokens
  splitWindow(window, settings.lookupRatio)
}
