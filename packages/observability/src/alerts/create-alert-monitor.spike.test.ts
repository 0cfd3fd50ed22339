import { createBudget } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import type { AlertRule } from './alert-rule.ts'
import type { BudgetAlert } from './budget-alert.ts'
import { createAlertMonitor } from './create-alert-monitor.ts'

const start = Date.UTC(2026, 0, 5, 9)
const minute = 60_000

function setup(rules: AlertRule[]) {
  let time = start
  const now = () => time
  const budget = createBudget({ limits: [{ scope: 'global', tokens: 100_000_000 }], now })
  const monitor = createAlertMonitor(budget, { rules })
  const alerts: BudgetAlert[] = []
  monitor.on('alert', (alert) => alerts.push(alert))
  /** Records `tokens` at `offset` ms after the start. */
  const useAt = async (offset: number, context: Record<string, string>, tokens: number) => {
    time = start + offset
    await budget.record(context, { model: 'gpt-4o', inputTokens: tokens, outputTokens: 0 })
    await monitor.idle()
  }
  return { alerts, useAt }
}

describe('createAlertMonitor', () => {
  describe('spike rule', () => {
    const rule: AlertRule = { type: 'spike', scope: 'agent', window: '1m', trailing: '10m', factor: 3 }

    it('should stay quiet at a steady rate and fire once when the window runs above factor × the trailing rate', async () => {
      const { alerts, useAt } = setup([rule])
      for (let m = 0; m <= 10; m++) await useAt(m * minute, { agent: 'a' }, 100)
      expect(alerts).toEqual([])

      await useAt(10.5 * minute, { agent: 'a' }, 500)
      expect(alerts).toHaveLength(1)
      // window (9m36s, 10m30s]: 100 + 500 = 600 tokens/min; baseline: 1000 tokens over 9.6 minutes.
      expect(alerts[0]).toMatchObject({
        type: 'spike',
        rule: 'spike',
        scope: 'agent',
        scopeId: 'a',
        unit: 'tokens',
        value: 600,
        windowUsage: 600,
        factor: 3,
        at: start + 10.5 * minute,
      })
      expect(alerts[0]!.type === 'spike' && alerts[0]!.trailingRatePerMinute).toBeCloseTo(1000 / 9.6, 9)
      expect(alerts[0]!.threshold).toBeCloseTo((3 * 1000) / 9.6, 9)
      expect(alerts[0]!.message).toBe(
        'spike in agent "a": 600 tokens/min over the last 1 min, above 3× the 104 tokens/min before',
      )

      await useAt(10.75 * minute, { agent: 'a' }, 400)
      expect(alerts).toHaveLength(1) // same episode
    })

    it('should fire again once the rate stayed below for a whole window', async () => {
      const { alerts, useAt } = setup([rule])
      for (let m = 0; m <= 10; m++) await useAt(m * minute, { agent: 'a' }, 100)
      await useAt(10.5 * minute, { agent: 'a' }, 1000)
      await useAt(13 * minute, { agent: 'a' }, 100) // the burst left the window: calm
      expect(alerts).toHaveLength(1)
      await useAt(13.25 * minute, { agent: 'a' }, 2000)
      expect(alerts).toHaveLength(2)
      expect(alerts.map((alert) => alert.at)).toEqual([start + 10.5 * minute, start + 13.25 * minute])
    })

    it('should keep one episode while the rate flaps around the threshold within a window', async () => {
      const { alerts, useAt } = setup([rule])
      for (let m = 0; m <= 10; m++) await useAt(m * minute, { agent: 'a' }, 100)
      await useAt(10 * minute + 6000, { agent: 'a' }, 250) // 350/min against a threshold of 3 × ~104
      expect(alerts).toHaveLength(1)
      await useAt(11 * minute + 3000, { agent: 'a' }, 1) // 251/min against 3 × 110: calm
      await useAt(11 * minute + 5000, { agent: 'a' }, 200) // 451/min: above again, 59 s after the last spike
      expect(alerts).toHaveLength(1)
    })

    it('should watch each scope value apart and ignore calls without it', async () => {
      const { alerts, useAt } = setup([rule])
      for (let m = 0; m <= 10; m++) {
        await useAt(m * minute, { agent: 'a' }, 100)
        await useAt(m * minute + 1, { agent: 'b' }, 1000)
      }
      await useAt(10.5 * minute, { agent: 'a' }, 500) // a spike for a, only 1/2 of b's usual rate
      await useAt(10.5 * minute + 1, {}, 1_000_000)
      expect(alerts.map((alert) => alert.scopeId)).toEqual(['a'])
    })

    it('should stay quiet until a baseline exists', async () => {
      const { alerts, useAt } = setup([rule])
      await useAt(0, { agent: 'a' }, 100_000)
      await useAt(1000, { agent: 'a' }, 100_000)
      expect(alerts).toEqual([])
    })

    it('should stay quiet below minUsage', async () => {
      const { alerts, useAt } = setup([{ ...rule, minUsage: 5000 }])
      for (let m = 0; m <= 10; m++) await useAt(m * minute, { agent: 'a' }, 10)
      await useAt(10.5 * minute, { agent: 'a' }, 4000)
      expect(alerts).toEqual([])
      await useAt(10.6 * minute, { agent: 'a' }, 1000)
      expect(alerts.map((alert) => alert.type === 'spike' && alert.windowUsage)).toEqual([5010])
    })

    it('should watch all usage by default, in the rule unit', async () => {
      const { alerts, useAt } = setup([
        { type: 'spike', unit: 'requests', window: '1m', trailing: '5m', factor: 2 },
      ])
      for (let m = 0; m <= 5; m++) await useAt(m * minute, { agent: `agent-${m}` }, 10)
      expect(alerts).toEqual([])
      await useAt(5.2 * minute, { agent: 'x' }, 10)
      await useAt(5.3 * minute, { user: 'y' }, 10)
      expect(alerts).toMatchObject([{ scope: 'global', scopeId: 'global', unit: 'requests', value: 3 }])
    })
  })
})
