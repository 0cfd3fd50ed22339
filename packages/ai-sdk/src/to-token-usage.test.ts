import { describe, expect, it } from 'vitest'
import { modelUsage, unreportedUsage } from './test/model-results.ts'
import { toModelUsage, toTokenUsage } from './to-token-usage.ts'

const estimate = { inputTokens: 111, outputTokens: 22 }

describe('toTokenUsage', () => {
  it('should keep cache reads and reasoning apart inside the totals', () => {
    expect(
      toTokenUsage(modelUsage({ input: 120, output: 40, cached: 100, reasoning: 30 }), estimate),
    ).toEqual({
      inputTokens: 120,
      outputTokens: 40,
      cachedInputTokens: 100,
      reasoningTokens: 30,
      estimated: false,
    })
  })

  it('should sum the parts when a provider reports no totals', () => {
    const usage = {
      inputTokens: { total: undefined, noCache: 20, cacheRead: 80, cacheWrite: 5 },
      outputTokens: { total: undefined, text: 7, reasoning: 3 },
    }
    expect(toTokenUsage(usage, estimate)).toEqual({
      inputTokens: 105,
      outputTokens: 10,
      cachedInputTokens: 80,
      cacheWriteInputTokens: 5,
      reasoningTokens: 3,
      estimated: false,
    })
  })

  it('should fill an unreported side from the estimate and mark the usage estimated', () => {
    expect(toTokenUsage(unreportedUsage, estimate)).toEqual({ ...estimate, estimated: true })
    expect(toTokenUsage(undefined, estimate)).toEqual({ ...estimate, estimated: true })
    const inputOnly = { ...unreportedUsage, inputTokens: { ...unreportedUsage.inputTokens, total: 50 } }
    expect(toTokenUsage(inputOnly, estimate)).toEqual({ inputTokens: 50, outputTokens: 22, estimated: true })
  })

  it('should round fractions up and clamp parts within their totals', () => {
    const usage = modelUsage({ input: 10.4, output: 3, cached: 50, reasoning: 2 })
    expect(toTokenUsage(usage, estimate)).toEqual({
      inputTokens: 11,
      outputTokens: 3,
      cachedInputTokens: 11,
      reasoningTokens: 2,
      estimated: false,
    })
  })

  it('should never count NaN or negative usage as 0: the estimate replaces it and the field is named', () => {
    const usage = modelUsage({ input: Number.NaN, output: -3, cached: 5, reasoning: 2 })
    expect(toTokenUsage(usage, estimate)).toEqual({
      inputTokens: 111,
      outputTokens: 22,
      cachedInputTokens: 5,
      reasoningTokens: 2,
      estimated: true,
      rejectedFields: ['inputTokens', 'outputTokens'],
    })
    const parts = {
      inputTokens: { total: undefined, noCache: -20, cacheRead: 80, cacheWrite: undefined },
      outputTokens: { total: 4, text: 4, reasoning: undefined },
    }
    expect(toTokenUsage(parts, estimate)).toMatchObject({ inputTokens: 111, rejectedFields: ['inputTokens'] })
  })
})

describe('toModelUsage', () => {
  it('should round-trip through toTokenUsage', () => {
    expect(toTokenUsage(toModelUsage({ inputTokens: 9, outputTokens: 4 }), estimate)).toEqual({
      inputTokens: 9,
      outputTokens: 4,
      estimated: false,
    })
  })
})
