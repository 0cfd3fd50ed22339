import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'

/**
 * The `BudgetExceededError` (scope `scheduler`, limit `pool`) of a grant the pool cannot give `agentId`.
 *
 * @example
 * throw poolRefusal({ agentId: 'a', requested: 2000, remaining: 500, totalTokens: 10_000, availableTokens: 4500 })
 */
export function poolRefusal({
  agentId,
  requested,
  remaining,
  totalTokens,
  availableTokens,
}: {
  agentId: string
  /** The tokens the grant needed. */
  requested: number
  /** The tokens it could have taken. */
  remaining: number
  totalTokens: number
  /** The pool's tokens not granted nor used, as the scheduler last saw them. */
  availableTokens: number
}): BudgetExceededError {
  return new BudgetExceededError({
    scope: 'scheduler',
    scopeId: agentId,
    limitName: 'pool',
    unit: 'tokens',
    limit: totalTokens,
    used: totalTokens - availableTokens,
    reserved: 0,
    requested,
    remaining,
    period: 'none',
    resetsAt: null,
  })
}
