import type { LimitStatus } from '../reports/limit-status.ts'
import type { StoreDenial } from '../stores/budget-store.ts'
import type { ResolvedCharge } from './resolve-charges.ts'

/** The fields of a `BudgetExceededError` for a store denial on one of the charges. */
export function exceededDetails(charges: ResolvedCharge[], denial: StoreDenial & { requested: number }) {
  const resolved = charges[denial.index]!
  const granted = denial.granted ?? 0
  const limit = resolved.charge.caps![denial.unit]! + granted
  return {
    scope: resolved.limit.scope,
    scopeId: resolved.scopeId,
    limitName: resolved.limit.name,
    unit: denial.unit,
    limit,
    granted,
    used: denial.used,
    reserved: denial.reserved,
    requested: denial.requested,
    remaining: Math.max(0, limit - denial.used - denial.reserved),
    period: resolved.limit.period.label,
    resetsAt: resolved.resetsAt,
  }
}

/** The status of one unit of one resolved limit. */
export function limitStatus(
  resolved: ResolvedCharge,
  unit: LimitStatus['unit'],
  configured: number,
  used: number,
  reserved: number,
  granted = 0,
): LimitStatus {
  const cap = configured + granted
  return {
    limitName: resolved.limit.name,
    scope: resolved.limit.scope,
    scopeId: resolved.scopeId,
    unit,
    limit: cap,
    granted,
    used,
    reserved,
    remaining: Math.max(0, cap - used - reserved),
    percentUsed: cap === 0 ? (used > 0 ? 100 : 0) : (used / cap) * 100,
    period: resolved.limit.period.label,
    periodDescription: resolved.limit.period.description,
    periodStart: resolved.periodStart,
    resetsAt: resolved.resetsAt,
  }
}
