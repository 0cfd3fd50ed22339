import type { SignalEvent, SignalHandlerError } from './agent-signal.ts'

/** Handlers by signal, plus `handlerError`. */
export interface SignalHandlers {
  SIGWARN: (event: SignalEvent) => void
  SIGSTOP: (event: SignalEvent) => void
  SIGRESUME: (event: SignalEvent) => void
  handlerError: (event: SignalHandlerError) => void
}

/**
 * Delivers signals to their handlers. A throwing handler never breaks the sender: the error goes to the
 * `handlerError` handlers (or `console.warn` when there are none) and the other handlers still run.
 *
 * @example
 * const hub = new SignalHub()
 * hub.on('SIGSTOP', (event) => console.log(event.agentId))
 * hub.emit({ signal: 'SIGSTOP', agentId: 'a', used: 10, total: 10, remaining: 0, utilization: 1 })
 */
export class SignalHub {
  private readonly handlers = new Map<keyof SignalHandlers, Set<(event: never) => void>>()

  on<S extends keyof SignalHandlers>(signal: S, handler: SignalHandlers[S]): () => void {
    let set = this.handlers.get(signal)
    if (set === undefined) {
      set = new Set()
      this.handlers.set(signal, set)
    }
    set.add(handler as (event: never) => void)
    return () => {
      set.delete(handler as (event: never) => void)
    }
  }

  emit(event: SignalEvent): void {
    const set = this.handlers.get(event.signal)
    if (set === undefined) return
    for (const handler of set) {
      try {
        ;(handler as (event: SignalEvent) => void)(event)
      } catch (error) {
        this.report({ signal: event.signal, agentId: event.agentId, error })
      }
    }
  }

  private report(failure: SignalHandlerError): void {
    const set = this.handlers.get('handlerError')
    if (set === undefined || set.size === 0) {
      queueMicrotask(() => console.warn(`[tokenwarden] a ${failure.signal} handler threw:`, failure.error))
      return
    }
    for (const handler of set) {
      try {
        ;(handler as (event: SignalHandlerError) => void)(failure)
      } catch (error) {
        queueMicrotask(() => console.warn('[tokenwarden] a handlerError handler threw:', error))
      }
    }
  }
}
