import { BudgetValidationError } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { createAlertMonitor } from './create-alert-monitor.ts'
import { parseAlertRules } from './parse-alert-rules.ts'

function fieldOf(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    if (BudgetValidationError.isInstance(error)) return error.field
    throw error
  }
  throw new Error('expected a BudgetValidationError')
}

describe('parseAlertRules', () => {
  describe('formats', () => {
    it('should read YAML with rules and a webhook', () => {
      const config = parseAlertRules(`
rules:
  - type: runaway
    expectedTokens: { triage: 4000, '*': 20000 }
    factor: 3
  - type: spike
    scope: agent
    window: 5m
    trailing: 1h
    factor: 4
    minUsage: 10000
  - type: forecast
    scope: agent
    unit: costUsd
    share: 0.9
webhook:
  url: https://hooks.example.com/budget
  headers: { x-team: agents }
  timeoutMs: 3000
`)
      expect(config).toEqual({
        rules: [
          { type: 'runaway', expectedTokens: { triage: 4000, '*': 20000 }, factor: 3 },
          { type: 'spike', scope: 'agent', window: '5m', trailing: '1h', factor: 4, minUsage: 10000 },
          { type: 'forecast', scope: 'agent', unit: 'costUsd', share: 0.9 },
        ],
        webhook: {
          url: 'https://hooks.example.com/budget',
          headers: { 'x-team': 'agents' },
          timeoutMs: 3000,
        },
      })
    })

    it('should read JSON and a bare list of rules', () => {
      expect(parseAlertRules('{"rules":[{"type":"forecast"}]}')).toEqual({ rules: [{ type: 'forecast' }] })
      expect(parseAlertRules('- type: spike\n  window: 1m\n')).toEqual({
        rules: [{ type: 'spike', window: '1m' }],
      })
    })

    it('should give rules a monitor accepts', () => {
      const { rules } = parseAlertRules(
        '- { type: runaway, expectedTokens: 10 }\n- { type: spike, name: burst }',
      )
      expect(() => createAlertMonitor({ on: () => () => {} } as never, { rules }).dispose()).not.toThrow()
    })
  })

  describe('validation', () => {
    it.each([
      ['rules: [1', 'config'],
      ['42', 'config'],
      ['rules: {}', 'rules'],
      ['rulez: []', 'rulez'],
      ['- nope', 'rules[0]'],
      ['- type: burst', 'rules[0].type'],
      ['- { type: runaway }', 'rules[0].expectedTokens'],
      ['- { type: runaway, expectedTokens: -5 }', 'rules[0].expectedTokens'],
      ['- { type: runaway, expectedTokens: { a: 0 } }', 'rules[0].expectedTokens.a'],
      ['- { type: runaway, expectedTokens: {} }', 'rules[0].expectedTokens'],
      ['- { type: runaway, expectedTokens: 5, factor: 0 }', 'rules[0].factor'],
      ['- { type: runaway, expectedTokens: 5, scope: "" }', 'rules[0].scope'],
      ['- { type: runaway, expectedTokens: 5, window: 5m }', 'rules[0].window'],
      ['- { type: spike, window: soon }', 'rules[0].window'],
      ['- { type: spike, window: 0s }', 'rules[0].window'],
      ['- { type: spike, window: 7ms }', 'rules[0].window'],
      ['- { type: spike, window: 1m, bucket: 7s }', 'rules[0].bucket'],
      ['- { type: spike, window: 1m, trailing: 61s }', 'rules[0].trailing'],
      ['- { type: spike, unit: dollars }', 'rules[0].unit'],
      ['- { type: spike, minUsage: -1 }', 'rules[0].minUsage'],
      ['- { type: spike, factor: .nan }', 'rules[0].factor'],
      ['- { type: forecast, share: 0 }', 'rules[0].share'],
      ['- { type: forecast, minElapsed: 2 }', 'rules[0].minElapsed'],
      ['- { type: forecast, limit: 3 }', 'rules[0].limit'],
      ['- { type: forecast }\n- { type: forecast }', 'rules[1].name'],
      ['rules: []\nwebhook: https://x', 'webhook'],
      ['rules: []\nwebhook: { url: x }', 'webhook.url'],
      ['rules: []\nwebhook: { url: "https://x", secret: 1 }', 'webhook.secret'],
      ['rules: []\nwebhook: { url: "https://x", headers: { a: 1 } }', 'webhook.headers.a'],
      ['rules: []\nwebhook: { url: "https://x", timeoutMs: -1 }', 'webhook.timeoutMs'],
    ])('should refuse %j naming %s', (text, field) => {
      expect(fieldOf(() => parseAlertRules(text))).toBe(field)
    })
  })
})

describe('createAlertMonitor', () => {
  describe('options', () => {
    const budget = { on: () => () => {} } as never
    it.each([
      [{ rules: 'x' }, 'rules'],
      [{ rules: [{ type: 'spike', factor: -1 }] }, 'rules[0].factor'],
      [{ rules: [], maxTracked: 0 }, 'maxTracked'],
      [{ rules: [], send: [42] }, 'send[0]'],
      [{ rules: [], webhook: { url: 'nope' } }, 'webhook.url'],
    ])('should refuse %j naming the field', (options, field) => {
      expect(fieldOf(() => createAlertMonitor(budget, options as never))).toBe(field)
    })

    it('should refuse an unknown event name', () => {
      const monitor = createAlertMonitor(budget, { rules: [] })
      expect(fieldOf(() => monitor.on('toString' as never, () => {}))).toBe('event')
    })
  })
})
