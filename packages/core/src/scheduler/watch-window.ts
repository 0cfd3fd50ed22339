import type { SignalHub } from '../signals/signal-hub.ts'
import { emitWindowSignal } from './emit-window-signal.ts'
import type { ScheduledWindow } from './scheduled-window.ts'

/**
 * Turns the warnings of a window's budget into signals: SIGWARN below 100 %, SIGSTOP at 100 % (the window
 * is then halted, and stopped only once until it is resumed). Returns the unsubscribe function.
 *
 * @example
 * const unwatch = watchWindow(window, hub)
 * unwatch() // when the window is released
 */
export function watchWindow(window: ScheduledWindow, hub: SignalHub): () => void {
  return window.budget.on('warning', (warning) => {
    if (warning.threshold < 1) emitWindowSignal(hub, 'SIGWARN', window, warning.used)
    else if (!window.halted) {
      window.halted = true
      emitWindowSignal(hub, 'SIGSTOP', window, warning.used)
    }
  })
}
