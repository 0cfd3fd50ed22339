import { type BudgetEvents, formatAmount } from '@tokenwarden/core'
import type { BudgetAlert } from './budget-alert.ts'
import { describeAmount } from './describe-amount.ts'
import type { RunawayCheck } from './normalize-alert-rules.ts'

/**
 * Sums settled tokens per task and fires once when a task passes `factor` × its expected size. Keeps at
 * most `maxTracked` tasks (the least recently used are forgotten).
 *
 * @example
 * const watch = runawayWatch(check, 10_000)
 * const alert = watch(settledEvent, Date.now())
 */
export function runawayWatch(
  check: RunawayCheck,
  maxTracked: number,
): (event: BudgetEvents['settled'], now: number) => BudgetAlert | undefined {
  const tasks = new Map<string, { tokens: number; fired: boolean }>()
  return (event, now) => {
    const taskId = event.context[check.scope]
    if (taskId === undefined) return undefined
    let task = tasks.get(taskId)
    if (task === undefined) {
      task = { tokens: 0, fired: false }
      if (tasks.size >= maxTracked) tasks.delete(tasks.keys().next().value!)
    } else tasks.delete(taskId)
    tasks.set(taskId, task)
    task.tokens += event.usage.tokens
    if (task.fired) return undefined
    const expectedTokens = check.expected(taskId, event.context)
    if (expectedTokens === undefined) return undefined
    const threshold = check.factor * expectedTokens
    if (task.tokens <= threshold) return undefined
    task.fired = true
    return {
      type: 'runaway',
      rule: check.name,
      scope: check.scope,
      scopeId: taskId,
      unit: 'tokens',
      value: task.tokens,
      threshold,
      expectedTokens,
      factor: check.factor,
      at: now,
      context: { ...event.context },
      model: event.model,
      message:
        `runaway ${check.scope} "${taskId}": ${describeAmount(task.tokens, 'tokens')}, ` +
        `${round(task.tokens / expectedTokens)}× its expected ${formatAmount(expectedTokens, 'tokens')} (alert above ${check.factor}×)`,
    }
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}
