import { AIMessage } from '@langchain/core/messages'
import { describe, expect, it } from 'vitest'
import { tokenUsageFromLegacy, tokenUsageFromMessage } from './token-usage-from-message.ts'

const estimate = { inputTokens: 30, outputTokens: 6 }

describe('tokenUsageFromMessage', () => {
  describe('usage_metadata', () => {
    it('should map cache reads, cache writes and reasoning into the core usage', () => {
      const message = new AIMessage({
        content: 'ok',
        usage_metadata: {
          input_tokens: 100,
          output_tokens: 40,
          total_tokens: 140,
          input_token_details: { cache_read: 60, cache_creation: 20 },
          output_token_details: { reasoning: 25 },
        },
      })

      expect(tokenUsageFromMessage(message, estimate)).toEqual({
        inputTokens: 100,
        outputTokens: 40,
        cachedInputTokens: 60,
        cacheWriteInputTokens: 20,
        reasoningTokens: 25,
        estimated: false,
      })
    })

    it('should cap a detail that exceeds its total so the core accepts the usage', () => {
      const message = new AIMessage({
        content: 'ok',
        usage_metadata: {
          input_tokens: 10,
          output_tokens: 5,
          total_tokens: 15,
          output_token_details: { reasoning: 9 },
        },
      })

      expect(tokenUsageFromMessage(message, estimate).reasoningTokens).toBe(5)
    })

    it('should never count negative or NaN usage as 0: the estimate replaces it and the fields are named', () => {
      const message = new AIMessage({
        content: 'ok',
        usage_metadata: { input_tokens: -10, output_tokens: Number.NaN, total_tokens: 0 },
      })

      expect(tokenUsageFromMessage(message, estimate)).toEqual({
        ...estimate,
        estimated: true,
        rejectedFields: ['inputTokens', 'outputTokens'],
      })
    })
  })

  describe('response_metadata.tokenUsage', () => {
    it('should fall back to the legacy token usage', () => {
      const message = new AIMessage({
        content: 'ok',
        response_metadata: { tokenUsage: { promptTokens: 7, completionTokens: 3 } },
      })

      expect(tokenUsageFromMessage(message, estimate)).toEqual({
        inputTokens: 7,
        outputTokens: 3,
        estimated: false,
      })
    })

    it('should estimate when the message reports no usage', () => {
      expect(tokenUsageFromMessage(new AIMessage('ok'), estimate)).toEqual({ ...estimate, estimated: true })
      expect(tokenUsageFromLegacy({ promptTokens: -1, completionTokens: 2 }, estimate)).toEqual({
        inputTokens: 30,
        outputTokens: 2,
        estimated: true,
        rejectedFields: ['inputTokens'],
      })
    })
  })
})
