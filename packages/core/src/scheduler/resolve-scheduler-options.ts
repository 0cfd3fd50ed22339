import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { assertAmount } from '../limits/validate.ts'
import type { ContextSchedulerOptions } from './context-scheduler-options.ts'
import { minimumGrants } from './priority.ts'

/** The validated settings of a {@link ContextScheduler}, defaults filled in. */
export interface ResolvedSchedulerOptions {
  totalTokens: number
  lookupRatio: number
  reasoningRatio: number
  warnThreshold: number
  criticalReserveTokens: number
  defaultWindowTokens: number
}

/**
 * Validates a scheduler's options (a `BudgetValidationError` names the first bad field) and fills in the
 * defaults. The pool's `budget` options are left to `createBudget`.
 *
 * @example
 * resolveSchedulerOptions({ totalTokens: 10_000 }).lookupRatio // 0.9
 */
export function resolveSchedulerOptions(options: ContextSchedulerOptions): ResolvedSchedulerOptions {
  if (options === null || typeof options !== 'object') {
    throw new BudgetValidationError({
      field: 'options',
      value: options,
      reason: 'expected { totalTokens }',
    })
  }
  assertAmount(options.totalTokens, 'totalTokens', { integer: true })
  const lookupRatio = share(options.lookupRatio ?? 0.9, 'lookupRatio', true)
  const warnThreshold = share(options.warnThreshold ?? 0.8, 'warnThreshold', false)
  const criticalReserveTokens = options.criticalReserveTokens ?? minimumGrants.CRITICAL
  assertAmount(criticalReserveTokens, 'criticalReserveTokens', { integer: true })
  const defaultWindowTokens = options.defaultWindowTokens ?? 8000
  assertAmount(defaultWindowTokens, 'defaultWindowTokens', { integer: true })
  return {
    totalTokens: options.totalTokens,
    lookupRatio,
    reasoningRatio: 1 - lookupRatio,
    warnThreshold,
    criticalReserveTokens,
    defaultWindowTokens,
  }
}

function share(value: unknown, field: string, allowZero: boolean): number {
  if (typeof value !== 'number' || !(allowZero ? value >= 0 : value > 0) || value > 1) {
    throw new BudgetValidationError({
      field,
      value,
      reason: `expected a share in ${allowZero ? '[0' : '(0'}, 1]`,
    })
  }
  return value
}
