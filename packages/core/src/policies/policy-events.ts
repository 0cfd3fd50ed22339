import type { BudgetContext } from '../budget/budget-context.ts'
import type { CompressionPlan } from './plan-compression.ts'

/**
 * Reported by an adapter (its `onCompressed` option) when a request was fitted to a usage level's
 * target before it was sent. Counts only, never prompt text.
 *
 * @example
 * budgetMiddleware({ budget, compression: true, onCompressed: (event) => log(event.level, event.plannedTokens) })
 */
export interface CompressionEvent {
  context: BudgetContext
  model: string | undefined
  level: string
  usage: number
  targetTokens: number
  originalTokens: number
  plannedTokens: number
  fits: boolean
  dropped: number
  truncated: number
  summarized: number
  /** The summarizer's model, when older turns were summarized. */
  summaryModel?: string
  /** Why the summary call failed (the turns were dropped instead). */
  summaryError?: string
}

/**
 * Reported by an adapter (its `onDowngraded` option) when a call went to a cheaper model. The call is
 * reserved and settled under `to`, so reports and `settled` events show the model actually used.
 *
 * @example
 * withBudget(client, { budget, downgrade: [{ atUsage: 0.9, model: 'gpt-4o-mini' }], onDowngraded: (e) => log(e.from, '→', e.to) })
 */
export interface DowngradeEvent {
  context: BudgetContext
  from: string | undefined
  to: string | undefined
  usage: number
  atUsage: number
}

/**
 * The counts of a compression plan as a {@link CompressionEvent}.
 *
 * @example
 * onCompressed?.(compressionEvent(plan, { context, model: 'gpt-4o' }))
 */
export function compressionEvent(
  plan: CompressionPlan,
  extra: Pick<CompressionEvent, 'context' | 'model' | 'summaryModel' | 'summaryError'>,
): CompressionEvent {
  let dropped = 0
  let truncated = 0
  for (const action of plan.actions) {
    if (action.type === 'drop') dropped++
    else if (action.type === 'truncate') truncated++
  }
  const event: CompressionEvent = {
    context: extra.context,
    model: extra.model,
    level: plan.level,
    usage: plan.usage,
    targetTokens: plan.targetTokens,
    originalTokens: plan.originalTokens,
    plannedTokens: plan.plannedTokens,
    fits: plan.fits,
    dropped,
    truncated,
    summarized: plan.summarized.length,
  }
  if (extra.summaryModel !== undefined) event.summaryModel = extra.summaryModel
  if (extra.summaryError !== undefined) event.summaryError = extra.summaryError
  return event
}
