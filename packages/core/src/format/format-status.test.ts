import { describe, expect, it } from 'vitest'
import type { LimitStatus } from '../reports/limit-status.ts'
import { formatStatus } from './format-status.ts'

const status = (over: Partial<LimitStatus>): LimitStatus => ({
  limitName: 'thread/none',
  scope: 'thread',
  scopeId: 't',
  unit: 'tokens',
  limit: 100_000,
  used: 82_000,
  reserved: 0,
  remaining: 18_000,
  percentUsed: 82,
  period: 'none',
  periodStart: 0,
  resetsAt: null,
  ...over,
})

describe('formatStatus', () => {
  it('should draw the bar, the share and the amounts', () => {
    expect(formatStatus(status({}))).toBe('[████████░░] 82% (82,000/100,000 tokens)')
  })

  it('should format USD and clamp an overspent bar', () => {
    expect(formatStatus(status({ unit: 'costUsd', limit: 5, used: 6.5 }))).toBe(
      '[██████████] 130% ($6.50/$5.00)',
    )
  })

  it('should show an empty bar and a custom width', () => {
    expect(formatStatus(status({ used: 0 }), { width: 4 })).toBe('[░░░░] 0% (0/100,000 tokens)')
  })
})
