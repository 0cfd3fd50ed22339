import { createBudget } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import type { AlertRule } from './alert-rule.ts'
import type { BudgetAlert } from './budget-alert.ts'
import { createAlertMonitor } from './create-alert-monitor.ts'

const day = Date.UTC(2026, 0, 5)
const hour = 3_600_000

function setup(rules: AlertRule[]) {
  let time = day
  const now = () => time
  const budget = createBudget({
    limits: [
      { scope: 'agent', tokens: 10_000, period: 'day' },
      { scope: 'agent', name: 'agent-requests', requests: 100, period: 'day' },
      { scope: 'thread', tokens: 10_000, onMissingScope: 'skip' }, // some calls here have no thread
    ],
    now,
  })
  const monitor = createAlertMonitor(budget, { rules })
  const alerts: BudgetAlert[] = []
  monitor.on('alert', (alert) => alerts.push(alert))
  const useAt = async (at: number, context: Record<string, string>, tokens: number) => {
    time = at
    await budget.record(context, { model: 'gpt-4o', inputTokens: tokens, outputTokens: 0 })
    await monitor.idle()
  }
  return { alerts, useAt }
}

describe('createAlertMonitor', () => {
  describe('forecast rule', () => {
    it('should fire once per period when the pace projects past share × the limit', async () => {
      const { alerts, useAt } = setup([{ type: 'forecast', unit: 'tokens', share: 0.9 }])
      await useAt(day + 6 * hour, { agent: 'a', thread: 't' }, 2000) // 8,000 by midnight: quiet
      expect(alerts).toEqual([])
      await useAt(day + 6 * hour, { agent: 'a', thread: 't' }, 1000) // 12,000 by midnight
      expect(alerts).toHaveLength(1)
      expect(alerts[0]).toMatchObject({
        type: 'forecast',
        rule: 'forecast',
        scope: 'agent',
        scopeId: 'a',
        unit: 'tokens',
        limitName: 'agent/day',
        value: 12_000,
        threshold: 9000,
        limit: 10_000,
        used: 3000,
        share: 0.9,
        period: 'day',
        resetsAt: day + 24 * hour,
        at: day + 6 * hour,
      })
      expect(alerts[0]!.message).toBe(
        'forecast for agent "a" (agent/day): 12,000 tokens by the end of the day at this pace, above 90% of its 10,000 tokens limit',
      )
      await useAt(day + 7 * hour, { agent: 'a', thread: 't' }, 1000)
      expect(alerts).toHaveLength(1)
    })

    it('should start over in the next period and wait for minElapsed before projecting', async () => {
      const { alerts, useAt } = setup([{ type: 'forecast', unit: 'tokens', share: 0.9 }])
      await useAt(day + 6 * hour, { agent: 'a' }, 3000)
      const next = day + 24 * hour
      await useAt(next + hour, { agent: 'a' }, 1000) // 24,000 projected, but only 4% of the day has passed
      expect(alerts).toHaveLength(1)
      await useAt(next + 12 * hour, { agent: 'a' }, 3000) // 4,000 at noon: 8,000
      expect(alerts).toHaveLength(1)
      await useAt(next + 12 * hour, { agent: 'a' }, 600) // 4,600 at noon: 9,200
      expect(alerts.map((alert) => alert.at)).toEqual([day + 6 * hour, next + 12 * hour])
    })

    it('should never project limits without an end, and filter by limit, scope and unit', async () => {
      const { alerts, useAt } = setup([
        { type: 'forecast', name: 'requests', limit: 'agent-requests', share: 0.5 },
        { type: 'forecast', name: 'threads', scope: 'thread' },
      ])
      await useAt(day + 12 * hour, { agent: 'a', thread: 't' }, 9999) // thread limit never resets
      expect(alerts).toEqual([])
      for (let i = 0; i < 26; i++) await useAt(day + 12 * hour, { agent: 'b' }, 1)
      expect(alerts.map((alert) => [alert.rule, alert.unit, alert.scopeId, alert.value])).toEqual([
        ['requests', 'requests', 'b', 52],
      ])
    })

    it('should watch each scope value apart', async () => {
      const { alerts, useAt } = setup([{ type: 'forecast', unit: 'tokens' }])
      await useAt(day + 12 * hour, { agent: 'a' }, 5001)
      await useAt(day + 12 * hour, { agent: 'b' }, 4000)
      await useAt(day + 12 * hour, { agent: 'b' }, 1001)
      expect(alerts.map((alert) => alert.scopeId)).toEqual(['a', 'b'])
    })
  })
})
