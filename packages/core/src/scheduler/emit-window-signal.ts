import type { AgentSignal } from '../signals/agent-signal.ts'
import type { SignalHub } from '../signals/signal-hub.ts'
import type { ContextWindow } from './context-window.ts'

/**
 * Sends `signal` about a window to the hub's handlers, with the window's size and `used` tokens.
 *
 * @example
 * emitWindowSignal(hub, 'SIGSTOP', window, window.total)
 */
export function emitWindowSignal(
  hub: SignalHub,
  signal: AgentSignal,
  window: ContextWindow,
  used: number,
): void {
  hub.emit({
    signal,
    agentId: window.agentId,
    used,
    total: window.total,
    remaining: Math.max(0, window.total - used),
    utilization: window.total === 0 ? 1 : used / window.total,
  })
}
