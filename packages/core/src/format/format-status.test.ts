import { describe, expect, it } from 'vitest'
import type { LimitStatus } from '../reports/limit-status.ts'
import { formatStatus } from './format-status.ts'

const status = (over: Partial<LimitStatus>): LimitStatus => ({
  limitName: 'thread/none',
  scope: 'thread',
  scopeId: 't',
  unit: 'tokens',
  limit: 100_000,
  granted: 0,
  used: 82_000,
  reserved: 0,
  remaining: 18_000,
  percentUsed: 82,
  period: 'none',
  periodDescription: 'in total',
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

describe('formatAmount', () => {
  it('should show cents from $1 up and up to four decimals below', async () => {
    const { formatAmount, formatQuantity } = await import('./format-amount.ts')
    expect(
      ['0', '0.1', '0.01', '0.0108', '0.00005', '1.234', '12'].map((v) => formatAmount(Number(v), 'costUsd')),
    ).toEqual(['$0.00', '$0.10', '$0.01', '$0.0108', '<$0.0001', '$1.23', '$12.00'])
    expect(formatQuantity(82_000, 'tokens')).toBe('82,000 tokens')
    expect(formatQuantity(3, 'requests')).toBe('3 requests')
    expect(formatQuantity(0.5, 'costUsd')).toBe('$0.50')
  })

  it('should give amounts below $1 one precision: cents when whole, else four decimals', async () => {
    const { formatAmount } = await import('./format-amount.ts')
    expect([0.037, 0.0445, 0.014, 0.0007, 0.05, 0.3].map((v) => formatAmount(v, 'costUsd'))).toEqual([
      '$0.0370',
      '$0.0445',
      '$0.0140',
      '$0.0007',
      '$0.05',
      '$0.30',
    ])
  })

  it('should say 1 request and 1 token, not 1 requests', async () => {
    const { formatQuantity } = await import('./format-amount.ts')
    expect(formatQuantity(1, 'requests')).toBe('1 request')
    expect(formatQuantity(1, 'outputTokens')).toBe('1 output token')
    expect(formatQuantity(0, 'tokens')).toBe('0 tokens')
    expect(formatQuantity(5100, 'tokens')).toBe('5,100 tokens')
  })
})
