import { createBudget } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import type { BudgetAlert } from './budget-alert.ts'
import { createAlertMonitor } from './create-alert-monitor.ts'

function setup(rules: Parameters<typeof createAlertMonitor>[1]['rules']) {
  let time = Date.UTC(2026, 0, 5, 9)
  const now = () => time
  const budget = createBudget({ limits: [{ scope: 'global', tokens: 10_000_000 }], now })
  const monitor = createAlertMonitor(budget, { rules })
  const alerts: BudgetAlert[] = []
  monitor.on('alert', (alert) => alerts.push(alert))
  const use = async (context: Record<string, string>, inputTokens: number, outputTokens = 0) => {
    time += 1000
    await budget.record(context, { model: 'gpt-4o', inputTokens, outputTokens })
    await monitor.idle()
  }
  return { budget, monitor, alerts, use }
}

describe('createAlertMonitor', () => {
  describe('runaway rule', () => {
    it('should fire once when a task passes factor × its expected size', async () => {
      const { alerts, use } = setup([{ type: 'runaway', expectedTokens: 1000, factor: 2 }])
      await use({ task: 'a', agent: 'researcher' }, 1200, 300)
      await use({ task: 'a', agent: 'researcher' }, 500)
      expect(alerts).toEqual([]) // 2000 is not above 2 × 1000
      await use({ task: 'a', agent: 'researcher' }, 1)
      expect(alerts).toHaveLength(1)
      expect(alerts[0]).toMatchObject({
        type: 'runaway',
        rule: 'runaway',
        scope: 'task',
        scopeId: 'a',
        unit: 'tokens',
        value: 2001,
        threshold: 2000,
        expectedTokens: 1000,
        factor: 2,
        at: Date.UTC(2026, 0, 5, 9) + 3000,
        context: { task: 'a', agent: 'researcher' },
        model: 'gpt-4o',
      })
      expect(alerts[0]!.message).toBe(
        'runaway task "a": 2,001 tokens, 2× its expected 1,000 (alert above 2×)',
      )
      await use({ task: 'a' }, 5000)
      await use({ task: 'a' }, 5000)
      expect(alerts).toHaveLength(1)
    })

    it('should count each task apart and stay quiet for calls without a task', async () => {
      const { alerts, use } = setup([{ type: 'runaway', expectedTokens: 1000, factor: 3 }])
      for (const task of ['a', 'b', 'c']) await use({ task }, 2500)
      for (let i = 0; i < 10; i++) await use({ agent: 'no-task' }, 5000)
      expect(alerts).toEqual([])
      await use({ task: 'b' }, 501)
      expect(alerts.map((alert) => alert.scopeId)).toEqual(['b'])
    })

    it('should use the expected size of the task id, else the `*` entry, else not watch', async () => {
      const { alerts, use } = setup([
        { type: 'runaway', expectedTokens: { triage: 100, '*': 1000 } },
        { type: 'runaway', name: 'only-report', expectedTokens: { report: 10 }, factor: 1 },
      ])
      await use({ task: 'triage' }, 301)
      await use({ task: 'write' }, 2999)
      expect(alerts.map((alert) => [alert.rule, alert.scopeId])).toEqual([['runaway', 'triage']])
      await use({ task: 'write' }, 2)
      await use({ task: 'report' }, 11)
      expect(alerts.map((alert) => [alert.rule, alert.scopeId])).toEqual([
        ['runaway', 'triage'],
        ['runaway', 'write'],
        ['only-report', 'report'],
      ])
    })

    it('should watch another context key and take the expected size from a function', async () => {
      const { alerts, use } = setup([
        {
          type: 'runaway',
          scope: 'thread',
          expectedTokens: (_thread, context) => (context.agent === 'planner' ? 100 : undefined),
          factor: 1,
        },
      ])
      await use({ thread: 't-1', agent: 'writer' }, 5000)
      await use({ thread: 't-2', agent: 'planner' }, 101)
      expect(alerts.map((alert) => [alert.scope, alert.scopeId])).toEqual([['thread', 't-2']])
    })

    it('should forget the least recently used task past maxTracked', async () => {
      let time = 0
      const budget = createBudget({ limits: [{ scope: 'global', tokens: 1_000_000 }], now: () => time++ })
      const monitor = createAlertMonitor(budget, {
        rules: [{ type: 'runaway', expectedTokens: 100, factor: 1 }],
        maxTracked: 2,
      })
      const alerts: BudgetAlert[] = []
      monitor.on('alert', (alert) => alerts.push(alert))
      await budget.record({ task: 'a' }, { inputTokens: 60, outputTokens: 0 })
      await budget.record({ task: 'b' }, { inputTokens: 60, outputTokens: 0 })
      await budget.record({ task: 'c' }, { inputTokens: 60, outputTokens: 0 }) // forgets a
      await budget.record({ task: 'a' }, { inputTokens: 60, outputTokens: 0 })
      await budget.record({ task: 'c' }, { inputTokens: 60, outputTokens: 0 })
      expect(alerts.map((alert) => alert.scopeId)).toEqual(['c'])
    })
  })

  describe('dispose', () => {
    it('should stop evaluating after dispose', async () => {
      const { monitor, alerts, use } = setup([{ type: 'runaway', expectedTokens: 10, factor: 1 }])
      monitor.dispose()
      await use({ task: 'a' }, 1000)
      expect(alerts).toEqual([])
    })
  })
})
