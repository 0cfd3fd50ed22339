import type { LimitStatus } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { formatStatusTable } from './format-status-table.ts'

const now = Date.UTC(2026, 10, 23, 10, 30)

function status(fields: Partial<LimitStatus>): LimitStatus {
  return {
    limitName: 'thread/none',
    scope: 'thread',
    scopeId: 't-1',
    unit: 'tokens',
    limit: 1000,
    granted: 0,
    used: 0,
    reserved: 0,
    remaining: 1000,
    percentUsed: 0,
    period: 'none',
    periodDescription: 'in total',
    periodStart: 0,
    resetsAt: null,
    ...fields,
  }
}

describe('formatStatusTable', () => {
  describe('rows', () => {
    it('should group by scope, put the most used first and draw bars', () => {
      const table = formatStatusTable(
        [
          status({ scopeId: 't-2', used: 250, percentUsed: 25 }),
          status({ scopeId: 't-1', used: 1200, percentUsed: 120 }),
          status({
            limitName: 'global/day',
            scope: 'global',
            scopeId: 'global',
            unit: 'costUsd',
            limit: 5,
            used: 4.1,
            reserved: 0.2,
            percentUsed: 82,
            period: 'day',
            periodStart: Date.UTC(2026, 10, 23),
            resetsAt: Date.UTC(2026, 10, 24),
          }),
          status({
            limitName: 'user/rolling:3600000:10',
            scope: 'user',
            scopeId: 'u-1',
            used: 500,
            percentUsed: 50,
            period: 'rolling:3600000:10',
          }),
        ],
        { now, barWidth: 10 },
      )
      expect(table).toBe(
        [
          'SCOPE   ID   PERIOD      USED / LIMIT                     USAGE              RESETS',
          'global  —    day         $4.10 / $5.00 (+$0.20 reserved)  [████████░░]  82%  in 13h 30m',
          'user    u-1  rolling 1h  500 / 1,000 tokens               [█████░░░░░]  50%  rolling',
          'thread  t-1  all time    1,200 / 1,000 tokens             [██████████] 120%  —',
          'thread  t-2  all time    250 / 1,000 tokens               [███░░░░░░░]  25%  —',
        ].join('\n'),
      )
    })

    it('should show what grants added to a limit', () => {
      const table = formatStatusTable([status({ limit: 1500, granted: 500, used: 1200, reserved: 100 })], {
        now,
        barWidth: 10,
      })
      expect(table.split('\n')[1]).toContain('1,200 / 1,500 tokens (500 granted) (+100 reserved)')
    })
  })
})
