import type { BudgetEventName, BudgetEvents } from './budget-events.ts'

/** A typed event emitter whose handlers cannot break the emitter: a throwing handler is reported. */
export class EventHub {
  private readonly handlers = new Map<string, Set<(event: any) => void>>()
  /** Handlers subscribed, over every event: `has` answers without a lookup while it is 0 (most budgets). */
  private listening = 0

  on<E extends BudgetEventName>(name: E, handler: (event: BudgetEvents[E]) => void): () => void {
    let set = this.handlers.get(name)
    if (!set) {
      set = new Set()
      this.handlers.set(name, set)
    }
    if (!set.has(handler)) {
      set.add(handler)
      this.listening++
    }
    return () => {
      if (set.delete(handler)) this.listening--
    }
  }

  has(name: BudgetEventName): boolean {
    if (this.listening === 0) return false
    const set = this.handlers.get(name)
    return set !== undefined && set.size > 0
  }

  emit<E extends BudgetEventName>(name: E, event: BudgetEvents[E]): void {
    const set = this.handlers.get(name)
    if (set === undefined) return
    for (const handler of set) {
      try {
        const result: unknown = handler(event)
        // An async handler's rejection would otherwise be unhandled (and end a Node process).
        if (result instanceof Promise) result.catch((error: unknown) => this.fail(name, error))
      } catch (error) {
        this.fail(name, error)
      }
    }
  }

  /**
   * Reports a user callback's failure (`name`: the event, or e.g. `messages.warning`) as a
   * `handlerError` event, or with `console.warn` when nobody listens (or the `handlerError` handler
   * itself failed): never swallowed without a trace, never thrown into the budget's operation.
   */
  fail(name: string, error: unknown): void {
    if (name !== 'handlerError' && this.has('handlerError')) this.emit('handlerError', { event: name, error })
    else queueMicrotask(() => console.warn(`[tokenwarden] a "${name}" callback threw:`, error))
  }
}
