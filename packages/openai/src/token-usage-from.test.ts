import { describe, expect, it } from 'vitest'
import { tokenUsageFrom } from './token-usage-from.ts'

const estimate = { inputTokens: 50, outputTokens: 9 }

describe('tokenUsageFrom', () => {
  describe('chat', () => {
    it('should keep cached and reasoning tokens apart', () => {
      const usage = {
        prompt_tokens: 12,
        completion_tokens: 3,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 2 },
      }
      expect(tokenUsageFrom('chat', usage, estimate)).toEqual({
        inputTokens: 12,
        outputTokens: 3,
        cachedInputTokens: 4,
        reasoningTokens: 2,
        estimated: false,
      })
    })

    it('should estimate without usage and cap details at their totals', () => {
      expect(tokenUsageFrom('chat', null, estimate)).toEqual({ ...estimate, estimated: true })
      expect(
        tokenUsageFrom(
          'chat',
          { prompt_tokens: 2, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 9 } },
          estimate,
        ),
      ).toMatchObject({ cachedInputTokens: 2, estimated: false })
    })

    it('should never count garbage usage as 0: the estimate replaces it and the fields are named', () => {
      expect(tokenUsageFrom('chat', { prompt_tokens: 'x', completion_tokens: -1 }, estimate)).toEqual({
        ...estimate,
        estimated: true,
        rejectedFields: ['inputTokens', 'outputTokens'],
      })
    })
  })

  describe('responses', () => {
    it('should map input, output, cached, cache-write and reasoning tokens', () => {
      const usage = {
        input_tokens: 9,
        input_tokens_details: { cached_tokens: 3, cache_write_tokens: 2 },
        output_tokens: 5,
        output_tokens_details: { reasoning_tokens: 1 },
      }
      expect(tokenUsageFrom('responses', usage, estimate)).toEqual({
        inputTokens: 9,
        outputTokens: 5,
        cachedInputTokens: 3,
        cacheWriteInputTokens: 2,
        reasoningTokens: 1,
        estimated: false,
      })
    })
  })

  describe('embeddings', () => {
    it('should count prompt tokens as input and no output', () => {
      expect(tokenUsageFrom('embeddings', { prompt_tokens: 7, total_tokens: 7 }, estimate)).toMatchObject({
        inputTokens: 7,
        outputTokens: 0,
        estimated: false,
      })
    })
  })
})
