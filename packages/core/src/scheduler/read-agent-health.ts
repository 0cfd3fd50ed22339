import type { AgentHealth, ContextWindow } from './context-window.ts'
import { readWindowUsage } from './read-window-usage.ts'

/**
 * One agent's line in a scheduler health report: its window and the window's usage.
 *
 * @example
 * const { agentId, halted, utilization } = await readAgentHealth(window)
 */
export async function readAgentHealth(window: ContextWindow): Promise<AgentHealth> {
  return {
    agentId: window.agentId,
    task: window.task,
    priority: window.priority,
    total: window.total,
    halted: window.halted,
    ...(await readWindowUsage(window)),
  }
}
