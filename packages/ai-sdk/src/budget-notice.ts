import { type Budget, type BudgetContext, type BudgetWarning, formatStatus } from '@tokenwarden/core'

/** The text shown to the model and the warnings it carries (to give back if the call fails). */
export interface BudgetNotice {
  text: string
  warnings: BudgetWarning[]
}

/**
 * The text shown to the model before a call: the context's pending warnings (each taken once per
 * conversation; unless `warnings: false`) and, with `status`, a one-line status of every applicable limit. `undefined` when there
 * is nothing to say. A dry-run budget says nothing.
 *
 * @example
 * const notice = await budgetNotice(budget, { thread: 't-1' }, { model: 'gpt-4o', status: true })
 * // notice.text: 'Budget warning: thread "t-1" has used 80% …\n[Budget status] thread "t-1" [████████░░] 80% (800/1,000 tokens)'
 */
export async function budgetNotice(
  budget: Budget,
  context: BudgetContext,
  { model, status = false, warnings = true }: { model: string; status?: boolean; warnings?: boolean },
): Promise<BudgetNotice | undefined> {
  if (!status) return warnings ? warningNotice(budget, context, model) : undefined
  if (budget.mode === 'dry-run') return undefined
  const taken = warnings ? budget.takeWarnings(context, { model }) : []
  const lines = taken.map((warning) => warning.message)
  const limits = await budget.status(context, { model })
  if (limits.length > 0) {
    const parts = limits.map(
      (limit) =>
        `${limit.scope === 'global' ? 'global' : `${limit.scope} "${limit.scopeId}"`} ${formatStatus(limit)}`,
    )
    lines.push(`[Budget status] ${parts.join('; ')}`)
  }
  return lines.length === 0 ? undefined : { text: lines.join('\n'), warnings: taken }
}

/**
 * The warnings-only {@link budgetNotice}, without a status read (so without an await): the context's
 * pending warnings, each taken once per conversation, or `undefined` when there are none.
 *
 * @example
 * const notice = warningNotice(budget, { thread: 't-1' }, 'gpt-4o')
 */
export function warningNotice(
  budget: Budget,
  context: BudgetContext,
  model: string,
): BudgetNotice | undefined {
  if (budget.mode === 'dry-run') return undefined
  const taken = budget.takeWarnings(context, { model })
  if (taken.length === 0) return undefined
  return { text: taken.map((warning) => warning.message).join('\n'), warnings: taken }
}
