import type { Budget } from '../budget/budget.ts'
import type { BudgetContext } from '../budget/budget-context.ts'
import { formatStatus } from '../format/format-status.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'

/**
 * The text shown to the model before a call and the warnings it carries (to give back if the call
 * fails): the conversation's pending warnings (each taken once) and, with `status`, a one-line status of
 * every applicable limit. `undefined` when there is nothing to say; a dry-run budget says nothing.
 * Without `status` it does not await.
 */
export function budgetNotice(
  budget: Budget,
  context: BudgetContext,
  { model, status, warnings }: { model: string | undefined; status: boolean; warnings: boolean },
):
  | { text: string; warnings: BudgetWarning[] }
  | undefined
  | Promise<{ text: string; warnings: BudgetWarning[] } | undefined> {
  if (budget.mode === 'dry-run' || (!warnings && !status)) return undefined
  const taken = warnings ? budget.takeWarnings(context, { model }) : []
  if (!status) return taken.length === 0 ? undefined : { text: lines(taken).join('\n'), warnings: taken }
  return budget.status(context, { model }).then(
    (limits) => {
      const text = lines(taken)
      if (limits.length > 0) {
        const parts = limits.map(
          (limit) =>
            `${limit.scope === 'global' ? 'global' : `${limit.scope} "${limit.scopeId}"`} ${formatStatus(limit)}`,
        )
        text.push(`[Budget status] ${parts.join('; ')}`)
      }
      return text.length === 0 ? undefined : { text: text.join('\n'), warnings: taken }
    },
    (error: unknown) => {
      budget.restoreWarnings(context, taken)
      throw error
    },
  )
}

function lines(warnings: readonly BudgetWarning[]): string[] {
  return warnings.map((warning) => warning.message)
}
