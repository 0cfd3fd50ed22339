import type { LanguageModelV4 } from '@ai-sdk/provider'
import type {
  Budget,
  BudgetExceededError,
  CompressionEvent,
  DowngradeEvent,
  DowngradeLevel,
} from '@tokenwarden/core'
import type { BudgetCompressionOptions } from './apply-middleware-policies.ts'
import type { CallContext } from './resolve-call-context.ts'

/** Options of `budgetMiddleware`. */
export interface BudgetMiddlewareOptions {
  /** The budget every call is reserved against and settled to. */
  budget: Budget
  /**
   * Who the calls are for: a static context, or a function of the call's params (may be async). A call
   * can add or override scopes with `providerOptions: { tokenwarden: { thread: 't-1' } }`.
   * @default {}
   */
  context?: CallContext
  /** The model id used for prices and `model` limits. @default the wrapped model's `modelId` */
  modelId?: string
  /**
   * Output tokens reserved when a call sets no `maxOutputTokens`. They are not sent: the provider keeps
   * its own default unless `clamp` is on (then the clamped amount is sent).
   * @default budget.defaultMaxOutputTokens
   */
  defaultMaxOutputTokens?: number
  /**
   * Lower a call's `maxOutputTokens` to what the budget can still afford instead of refusing it; refuses
   * only when fewer than `minOutputTokens` (default 1) remain.
   * @default false
   */
  clamp?: boolean | { minOutputTokens?: number }
  /** Show the context's pending budget warnings to the model as a system message. @default true */
  injectWarnings?: boolean
  /** Also show a one-line budget status on every call, so an agent can plan. @default false */
  injectStatus?: boolean
  /**
   * When the budget cannot afford a call (the model is never called): `throw` a `BudgetExceededError`,
   * or `finish` gracefully with an explanatory text and `rawFinishReason` `'tokenwarden-budget-exceeded'`.
   * @default 'throw'
   */
  onExceeded?: 'throw' | 'finish'
  /** The text of a call ended with `onExceeded: 'finish'`. @default the error's message */
  exceededText?: (error: BudgetExceededError) => string
  /**
   * End a stream gracefully (finish reason `length`) once its estimated output passes the reserved
   * `maxOutputTokens`, for providers that do not enforce it.
   * @default false
   */
  stopStreamsAtReservation?: boolean
  /**
   * A call that makes no progress for this long (a stream nobody reads or cancels, a provider that went
   * quiet) is settled from its estimate and its stream cancelled; progress renews the lease.
   * @default 60_000
   */
  stallMs?: number
  /**
   * Fit each call's prompt to a target size once its context passes a usage level (default 70%
   * moderate, 90% aggressive): drop low-signal turns, truncate the longest tool results, summarize older
   * turns with `summarizer` (a budgeted call) or drop them. System messages and the latest turns are
   * kept. `true` uses the defaults. @default off
   */
  compression?: true | BudgetCompressionOptions
  /**
   * Call a cheaper model once the context passes a usage level, e.g. `[{ atUsage: 0.9, model: mini }]`.
   * The call is reserved and settled under the cheaper model's id, and its result's
   * `providerMetadata.tokenwarden` says `{ model, downgradedFrom }`. @default off
   */
  downgrade?: readonly DowngradeLevel<LanguageModelV4>[]
  /** Told when a prompt was compressed (counts only, no text). */
  onCompressed?: (event: CompressionEvent) => void
  /** Told when a call went to a cheaper model. */
  onDowngraded?: (event: DowngradeEvent) => void
}
