import { emptyTally, encodeCounterKey, type LimitStatus } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { burnDowns } from './burn-down.ts'

const hour = 3_600_000

function counter(name: string, scopeId: string, periodStart: number, tokens: number) {
  return {
    key: encodeCounterKey({ name, scope: 'user', scopeId, periodStart }),
    used: { ...emptyTally(), tokens },
    reserved: emptyTally(),
  }
}

function status(fields: Partial<LimitStatus>): LimitStatus {
  return {
    limitName: 'user/day',
    scope: 'user',
    scopeId: 'u-1',
    unit: 'tokens',
    limit: 1000,
    granted: 0,
    used: 0,
    reserved: 0,
    remaining: 1000,
    percentUsed: 0,
    period: 'day',
    periodDescription: 'today',
    periodStart: 0,
    resetsAt: null,
    ...fields,
  }
}

describe('burnDowns', () => {
  describe('calendar periods', () => {
    it('should measure from the period start to now, project the rate and list kept earlier periods', () => {
      const day = 24 * hour
      const now = 10 * day + 6 * hour
      const [chart] = burnDowns(
        [status({ used: 300, periodStart: 10 * day, resetsAt: 11 * day })],
        [counter('user/day', 'u-1', 9 * day, 800), counter('user/day', 'u-1', 10 * day, 300)],
        now,
      )
      expect(chart).toMatchObject({
        kind: 'calendar',
        start: 10 * day,
        end: 11 * day,
        points: [
          { at: 10 * day, used: 0 },
          { at: now, used: 300 },
        ],
        projectedUsed: 1200,
        previous: [{ periodStart: 9 * day, used: 800 }],
        fromHistory: false,
      })
    })

    it('should draw the recorded hourly history: flat in idle hours, rising where usage was', () => {
      const day = 24 * hour
      const now = 10 * day + 6 * hour + 30 * 60_000
      const history = '@history:user/day'
      const [chart] = burnDowns(
        [status({ used: 300, periodStart: 10 * day, resetsAt: 11 * day })],
        [
          counter('user/day', 'u-1', 10 * day, 300),
          counter(history, 'u-1', 9 * day + 23 * hour, 999),
          counter(history, 'u-1', 10 * day + hour, 100),
          counter(history, 'u-1', 10 * day + 6 * hour, 200),
          counter(history, 'u-2', 10 * day + 2 * hour, 5),
        ],
        now,
      )
      expect(chart).toMatchObject({
        kind: 'calendar',
        fromHistory: true,
        points: [
          { at: 10 * day, used: 0 },
          { at: 10 * day + hour, used: 0 },
          { at: 10 * day + 2 * hour, used: 100 },
          { at: 10 * day + 6 * hour, used: 100 },
          { at: now, used: 300 },
        ],
      })
    })
  })

  describe('rolling windows', () => {
    it('should add one step per bucket of the window and ignore buckets outside it', () => {
      const name = 'user/rolling:3600000:4'
      const bucket = hour / 4
      const now = 100 * hour + 10 * 60_000
      const current = 100 * hour
      const [chart] = burnDowns(
        [status({ limitName: name, period: 'rolling:3600000:4', used: 60, periodStart: current })],
        [
          counter(name, 'u-1', current - 4 * bucket, 1000),
          counter(name, 'u-1', current - 2 * bucket, 10),
          counter(name, 'u-1', current, 50),
          counter(name, 'u-2', current, 7),
        ],
        now,
      )
      expect(chart).toMatchObject({
        kind: 'rolling',
        start: current - 3 * bucket,
        end: now,
        points: [
          { at: current - 3 * bucket, used: 0 },
          { at: current - bucket, used: 10 },
          { at: now, used: 60 },
        ],
        projectedUsed: null,
      })
    })
  })

  describe('rolling windows without recent usage', () => {
    it('should stay flat from the last bucket with usage to now', () => {
      const name = 'user/rolling:3600000:4'
      const bucket = hour / 4
      const current = 100 * hour
      const now = current + 10 * 60_000
      const [chart] = burnDowns(
        [status({ limitName: name, period: 'rolling:3600000:4', used: 10, periodStart: current })],
        [counter(name, 'u-1', current - 3 * bucket, 10)],
        now,
      )
      expect(chart!.points).toEqual([
        { at: current - 3 * bucket, used: 0 },
        { at: current - 2 * bucket, used: 10 },
        { at: now, used: 10 },
      ])
    })
  })

  describe('limits without a period', () => {
    it('should have no time axis', () => {
      const [chart] = burnDowns([status({ period: 'none', used: 5 })], [], 42)
      expect(chart).toMatchObject({ kind: 'all-time', points: [{ at: 42, used: 5 }], projectedUsed: null })
    })
  })
})
