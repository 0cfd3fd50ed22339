import type { BudgetEvents, LimitStatus } from '@tokenwarden/core'
import type { BudgetAlert } from './budget-alert.ts'
import { describeAmount } from './describe-amount.ts'
import type { ForecastCheck } from './normalize-alert-rules.ts'

/**
 * Projects each calendar-period limit of the settled context to the end of its period at the pace so far
 * (`used / elapsed × length`) and fires once per limit, scope value, unit and period when the projection
 * passes `share` × the limit. Limits that never reset and rolling windows have no end to project to.
 *
 * @example
 * const watch = forecastWatch(check)
 * const alerts = watch(await budget.status(event.context, { model: event.model }), event, Date.now())
 */
export function forecastWatch(
  check: ForecastCheck,
): (statuses: readonly LimitStatus[], event: BudgetEvents['settled'], now: number) => BudgetAlert[] {
  /** Episode key → when its period ends. */
  const fired = new Map<string, number>()
  return (statuses, event, now) => {
    for (const [key, resetsAt] of fired) if (resetsAt <= now) fired.delete(key)
    const alerts: BudgetAlert[] = []
    for (const status of statuses) {
      if (status.resetsAt === null || status.limit <= 0) continue
      if (check.limit !== undefined && status.limitName !== check.limit) continue
      if (check.scope !== undefined && status.scope !== check.scope) continue
      if (check.unit !== undefined && status.unit !== check.unit) continue
      const length = status.resetsAt - status.periodStart
      const elapsed = now - status.periodStart
      if (length <= 0 || elapsed <= 0 || elapsed < check.minElapsed * length) continue
      const projected = (status.used / elapsed) * length
      const threshold = check.share * status.limit
      if (projected <= threshold) continue
      const key = `${status.limitName}\u0000${status.scopeId}\u0000${status.unit}\u0000${status.periodStart}`
      if (fired.has(key)) continue
      fired.set(key, status.resetsAt)
      alerts.push({
        type: 'forecast',
        rule: check.name,
        scope: status.scope,
        scopeId: status.scopeId,
        unit: status.unit,
        value: projected,
        threshold,
        limitName: status.limitName,
        limit: status.limit,
        used: status.used,
        share: check.share,
        period: status.period,
        resetsAt: status.resetsAt,
        at: now,
        context: { ...event.context },
        model: event.model,
        message:
          `forecast for ${status.scope} "${status.scopeId}" (${status.limitName}): ${describeAmount(projected, status.unit)} ` +
          `by the end of the ${status.period} at this pace, above ${Math.round(check.share * 100)}% of its ` +
          `${describeAmount(status.limit, status.unit)} limit`,
      })
    }
    return alerts
  }
}
