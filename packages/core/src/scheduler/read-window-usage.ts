import type { ContextWindow, WindowUsage } from './context-window.ts'

/**
 * What a window's budget has used, what is left of the window, and the share used.
 *
 * @example
 * const { totalUsed, remaining } = await readWindowUsage(window)
 */
export async function readWindowUsage(window: ContextWindow): Promise<WindowUsage> {
  const [status] = await window.budget.status({})
  const totalUsed = status!.used
  return {
    totalUsed,
    remaining: Math.max(0, window.total - totalUsed),
    utilization: window.total === 0 ? 1 : totalUsed / window.total,
  }
}
