import { describe, expect, it } from 'vitest'
import { sanitizeUsage } from './sanitize-usage.ts'

const estimate = { inputTokens: 100, outputTokens: 20 }

describe('sanitizeUsage', () => {
  it('should keep a usable report as it is, rounding fractions up', () => {
    expect(
      sanitizeUsage(
        { inputTokens: 120, outputTokens: 40.2, cachedInputTokens: 100, reasoningTokens: 30 },
        { estimate },
      ),
    ).toEqual({
      inputTokens: 120,
      outputTokens: 41,
      cachedInputTokens: 100,
      reasoningTokens: 30,
      estimated: false,
    })
  })

  it('should take a missing total from the estimate without rejecting anything', () => {
    expect(sanitizeUsage(undefined, { estimate })).toEqual({ ...estimate, estimated: true })
    expect(sanitizeUsage({ inputTokens: 7, outputTokens: null }, { estimate })).toEqual({
      inputTokens: 7,
      outputTokens: 20,
      estimated: true,
    })
  })

  it.each([
    ['NaN', Number.NaN],
    ['a negative number', -3],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a string', '12'],
    ['an object', {}],
    ['a number above 2^53 − 1', 2 ** 60],
  ])('should never count a total of %s as 0: the estimate replaces it and the field is named', (_, value) => {
    expect(sanitizeUsage({ inputTokens: value, outputTokens: 5 }, { estimate })).toEqual({
      inputTokens: 100,
      outputTokens: 5,
      estimated: true,
      rejectedFields: ['inputTokens'],
    })
  })

  it('should drop a garbage part and name it, keeping the reported totals', () => {
    expect(
      sanitizeUsage(
        { inputTokens: 50, outputTokens: 5, cachedInputTokens: -10, reasoningTokens: Number.NaN },
        { estimate },
      ),
    ).toEqual({
      inputTokens: 50,
      outputTokens: 5,
      estimated: false,
      rejectedFields: ['cachedInputTokens', 'reasoningTokens'],
    })
  })

  it('should clamp cached + cache-write input to the input as a sum, and reasoning to the output', () => {
    expect(
      sanitizeUsage(
        {
          inputTokens: 100,
          outputTokens: 10,
          cachedInputTokens: 80,
          cacheWriteInputTokens: 60,
          reasoningTokens: 99,
        },
        { estimate },
      ),
    ).toEqual({
      inputTokens: 100,
      outputTokens: 10,
      cachedInputTokens: 80,
      cacheWriteInputTokens: 20,
      reasoningTokens: 10,
      estimated: false,
    })
  })

  it('should compute a lazy estimate only when a total needs it', () => {
    let calls = 0
    const lazy = () => {
      calls++
      return estimate
    }
    sanitizeUsage({ inputTokens: 1, outputTokens: 1 }, { estimate: lazy })
    expect(calls).toBe(0)
    expect(sanitizeUsage({ inputTokens: 1, outputTokens: Number.NaN }, { estimate: lazy }).outputTokens).toBe(
      20,
    )
    expect(calls).toBe(1)
  })

  it('should read each reported field once', () => {
    const reads = { inputTokens: 0, outputTokens: 0 }
    const reported = {
      get inputTokens() {
        return ++reads.inputTokens === 1 ? 10 : -10
      },
      get outputTokens() {
        return ++reads.outputTokens === 1 ? 2 : Number.NaN
      },
    }
    expect(sanitizeUsage(reported, { estimate })).toEqual({
      inputTokens: 10,
      outputTokens: 2,
      estimated: false,
    })
    expect(reads).toEqual({ inputTokens: 1, outputTokens: 1 })
  })

  it('should refuse an estimate that is not whole token counts', () => {
    expect(() =>
      sanitizeUsage(undefined, { estimate: { inputTokens: Number.NaN, outputTokens: 0 } }),
    ).toThrow(expect.objectContaining({ field: 'estimate.inputTokens' }))
  })
})
