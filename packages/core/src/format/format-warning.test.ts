import { describe, expect, it } from 'vitest'
import { formatWarning } from './format-warning.ts'

const warning = {
  severity: 'critical' as const,
  threshold: 0.9,
  percentUsed: 91.2,
  used: 91_200,
  remaining: 8_800,
  limit: 100_000,
  unit: 'tokens' as const,
  scope: 'thread',
  scopeId: 't-1',
  limitName: 'thread/none',
  period: 'none',
  resetsAt: null,
}

describe('formatWarning', () => {
  it('should tell the model how much is left and what to do', () => {
    expect(formatWarning(warning)).toBe(
      '[Budget warning] This conversation has used 91% of its 100,000-token budget (8,800 tokens left). Wrap up: prioritise the essential remaining steps and answer soon.',
    )
  })

  it('should name an agent, a USD budget and its period', () => {
    const text = formatWarning({
      ...warning,
      severity: 'final',
      scope: 'agent',
      scopeId: 'researcher',
      unit: 'costUsd',
      limit: 5,
      remaining: 0.2,
      period: 'day',
    })
    expect(text).toBe(
      '[Budget warning] Agent "researcher" has used 91% of its $5.00 budget today ($0.20 left). Stop starting new work: give your final answer now with what you have.',
    )
  })
})
