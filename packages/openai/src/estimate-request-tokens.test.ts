import { estimateTokens, heuristicEstimator } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { estimateRequestTokens } from './estimate-request-tokens.ts'

describe('estimateRequestTokens', () => {
  describe('chat', () => {
    it('should count message text plus a per-message overhead', () => {
      const text = 'Summarise the attached paper in three bullet points.'
      const tokens = estimateRequestTokens(
        'chat',
        { model: 'gpt-4o', messages: [{ role: 'user', content: text }] },
        heuristicEstimator,
      )
      expect(tokens).toBe(4 + estimateTokens('user') + estimateTokens(text))
    })

    it('should count an inline image as a flat amount, not its base64 length', () => {
      const image = `data:image/png;base64,${'A'.repeat(400_000)}`
      const tokens = estimateRequestTokens(
        'chat',
        { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: image } }] }] },
        heuristicEstimator,
      )
      expect(tokens).toBeLessThan(1100)
      expect(tokens).toBeGreaterThanOrEqual(1024)
    })

    it('should count tool definitions', () => {
      const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }]
      const without = estimateRequestTokens('chat', { messages: [] }, heuristicEstimator)
      const withTools = estimateRequestTokens('chat', { messages: [], tools }, heuristicEstimator)
      expect(withTools - without).toBe(estimateTokens(JSON.stringify(tools)))
    })
  })

  describe('responses', () => {
    it('should count string input and instructions', () => {
      const tokens = estimateRequestTokens(
        'responses',
        { input: 'Hello there', instructions: 'Be brief.' },
        heuristicEstimator,
      )
      expect(tokens).toBe(estimateTokens('Hello there') + estimateTokens('Be brief.'))
    })
  })

  describe('embeddings', () => {
    it('should count strings and token arrays', () => {
      expect(estimateRequestTokens('embeddings', { input: ['abcd', 'efgh'] }, heuristicEstimator)).toBe(2)
      expect(estimateRequestTokens('embeddings', { input: [[1, 2, 3], [4]] }, heuristicEstimator)).toBe(4)
      expect(estimateRequestTokens('embeddings', { input: [1, 2, 3] }, heuristicEstimator)).toBe(3)
    })
  })
})
