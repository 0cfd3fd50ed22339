import { sanitizeUsage } from '@tokenwarden/core/adapter'
import { describe, expect, it } from 'vitest'
import { reportedUsage } from './reported-usage.ts'

const estimate = { inputTokens: 999, outputTokens: 999 }

describe('reportedUsage', () => {
  it('should count the input as input_tokens plus the cache reads and writes, kept apart', () => {
    expect(
      reportedUsage({
        input_tokens: 50,
        cache_read_input_tokens: 30,
        cache_creation_input_tokens: 20,
        output_tokens: 7,
        output_tokens_details: { thinking_tokens: 3 },
      }),
    ).toEqual({
      inputTokens: 100,
      outputTokens: 7,
      cachedInputTokens: 30,
      cacheWriteInputTokens: 20,
      reasoningTokens: 3,
    })
  })

  it('should leave null cache fields and a missing output out (the core estimates the output)', () => {
    const reported = reportedUsage({ input_tokens: 12, cache_read_input_tokens: null })
    expect(reported).toEqual({ inputTokens: 12, outputTokens: undefined })
    expect(sanitizeUsage(reported, { estimate })).toEqual({
      inputTokens: 12,
      outputTokens: 999,
      estimated: true,
    })
    expect(reportedUsage(undefined)).toBeUndefined()
  })

  it('should pass garbage on for sanitizeUsage to reject, never counting it as 0', () => {
    const usage = sanitizeUsage(
      reportedUsage({ input_tokens: 10, cache_read_input_tokens: Number.NaN, output_tokens: -1 }),
      { estimate },
    )
    expect(usage).toMatchObject({ inputTokens: 10, outputTokens: 999, estimated: true })
    expect(usage.rejectedFields).toEqual(['outputTokens', 'cachedInputTokens'])
  })
})
