import { describe, expect, it } from 'vitest'
import { estimateTokens } from './estimate-tokens.ts'

describe('estimateTokens', () => {
  it('should count about four ASCII characters per token, rounding up', () => {
    expect(estimateTokens('')).toBe(0)
    expect(estimateTokens('abcd')).toBe(1)
    expect(estimateTokens('abcde')).toBe(2)
  })

  it('should count a CJK character or an emoji as one token and other letters as half', () => {
    expect(estimateTokens('日本語')).toBe(3)
    expect(estimateTokens('😀😀')).toBe(2)
    expect(estimateTokens('éèêë')).toBe(2)
  })

  it('should give English prose at least one token per word (a BPE tokenizer never gives fewer)', () => {
    const text =
      'The quick brown fox jumps over the lazy dog while the researcher summarises three papers on budget enforcement for autonomous agents, comparing reservation strategies, streaming accounting, and the failure modes that appear when many concurrent calls race to spend the same shared token pool.'
    expect(estimateTokens(text)).toBeGreaterThanOrEqual(text.split(/\s+/).length)
  })
})
