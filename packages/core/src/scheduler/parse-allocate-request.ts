import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { assertAmount, assertId } from '../limits/validate.ts'
import type { AllocateRequest } from './allocate-request.ts'
import { Priority } from './priority.ts'

const priorities = new Set<string>(Object.values(Priority))

/**
 * Validates an `allocate` call (a `BudgetValidationError` names the first bad field) and returns its
 * priority (default NORMAL) and the window wanted (default `defaultWindowTokens`).
 *
 * @example
 * parseAllocateRequest('researcher', { maxTokens: 8000 }, 4000) // { priority: 'NORMAL', wanted: 8000 }
 */
export function parseAllocateRequest(
  agentId: string,
  request: AllocateRequest,
  defaultWindowTokens: number,
): { priority: Priority; wanted: number } {
  assertId(agentId, 'agentId')
  const priority = request.priority ?? Priority.NORMAL
  if (!priorities.has(priority)) {
    throw new BudgetValidationError({
      field: 'request.priority',
      value: priority,
      reason: "expected 'CRITICAL', 'HIGH', 'NORMAL' or 'LOW'",
    })
  }
  if (request.task !== undefined) assertId(request.task, 'request.task')
  const wanted = request.maxTokens ?? defaultWindowTokens
  assertAmount(wanted, 'request.maxTokens', { integer: true })
  if (wanted === 0) {
    throw new BudgetValidationError({ field: 'request.maxTokens', value: wanted, reason: 'expected > 0' })
  }
  return { priority, wanted }
}
