import type { LanguageModelV4 } from '@ai-sdk/provider'
import type { CompressionEvent, DowngradeEvent, DowngradeLevel } from '@tokenwarden/core'
import type { BudgetAdapterOptions } from '@tokenwarden/core/adapter'
import type { BudgetCompressionOptions } from './apply-middleware-policies.ts'
import type { CallContext } from './resolve-call-context.ts'

/** Options of `budgetMiddleware`. */
export interface BudgetMiddlewareOptions extends BudgetAdapterOptions<CallContext> {
  /**
   * Who the calls are for: a static context, or a function of the call's params (may be async). A call
   * can add or override scopes with `providerOptions: { tokenwarden: { thread: 't-1' } }`.
   * @default {}
   */
  context?: CallContext
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
