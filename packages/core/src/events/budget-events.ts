import type { BudgetContext } from '../budget/budget-context.ts'
import type { BudgetExceededDetails } from '../errors/budget-exceeded-error.ts'
import type { LimitUnit } from '../limits/limit-unit.ts'
import type { CompressionEvent, DowngradeEvent } from '../policies/policy-events.ts'
import type { Tally } from '../usage/tally.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'

/**
 * Everything a budget reports, by event name. No event carries prompt text.
 *
 * @example
 * budget.on('exceeded', (event) => metrics.increment('blocked', { scope: event.scope }))
 */
export interface BudgetEvents {
  /** A threshold was crossed (once per limit, scope value, period and threshold). SIGWARN. */
  warning: BudgetWarning & { context: BudgetContext }
  /**
   * A call was refused (`blocked: true`, enforce mode; SIGSTOP), or would have been (`blocked: false`,
   * warn and dry-run modes).
   */
  exceeded: BudgetExceededDetails & {
    context: BudgetContext
    model: string | undefined
    blocked: boolean
    mode: BudgetMode
  }
  reserved: { reservationId: string; context: BudgetContext; model: string | undefined; amount: Tally }
  /** A call's usage was counted (settle or record). */
  settled: {
    reservationId: string | null
    context: BudgetContext
    model: string | undefined
    usage: Tally
    estimated: boolean
    /** When it was counted, on the budget's clock (epoch ms). */
    at: number
  }
  /** A grant raised a limit for a scope value (`budget.grant()`; not emitted for a repeated grant id). */
  granted: {
    grantId: string
    context: BudgetContext
    limitName: string
    scope: string
    scopeId: string
    amount: Partial<Record<LimitUnit, number>>
    /** When, on the budget's clock (epoch ms). */
    at: number
  }
  released: { reservationId: string; context: BudgetContext; model: string | undefined }
  /** A limit entered a new period; usage starts over. */
  reset: { limitName: string; scope: string; period: string; previousStart: number; start: number }
  /** A call's model has no known price (`unknownPrice: 'warn'`, or no USD limit applied). */
  priceUnknown: { model: string; context: BudgetContext }
  /** An adapter fitted a request to a usage level's target before sending it (counts only). */
  compressed: CompressionEvent
  /** An adapter sent a call to a cheaper model because of the budget's usage. */
  downgraded: DowngradeEvent
  /**
   * A settled usage came from a provider report with unusable fields (NaN, negative, infinite, not a
   * number), which `sanitizeUsage` replaced by the estimate or dropped. Field names only, never values.
   */
  usageRejected: {
    reservationId: string | null
    context: BudgetContext
    model: string | undefined
    /** The rejected fields, as `TokenUsage` names (`inputTokens`, `cachedInputTokens`, …). */
    fields: readonly string[]
  }
  /**
   * A user callback threw (or its promise rejected, or a template returned no string); the budget went
   * on, its state unchanged by the failure. `event` is the event whose handler failed, or
   * `messages.warning` for the warning template (the warning then carries the default text), or
   * `prices.cost` for an invalid price where no USD limit applies (the call counts unpriced). Without a
   * `handlerError` handler the failure goes to `console.warn`.
   */
  handlerError: { event: string; error: unknown }
}

/** The name of an event. */
export type BudgetEventName = keyof BudgetEvents

/** `enforce` blocks; `warn` never blocks but warns; `dry-run` never blocks, reports, and injects nothing. */
export type BudgetMode = 'enforce' | 'warn' | 'dry-run'
