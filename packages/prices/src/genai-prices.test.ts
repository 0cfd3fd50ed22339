import { createBudget } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { genaiPrices } from './genai-prices.ts'

describe('genaiPrices', () => {
  const prices = genaiPrices()

  it('should price a known model from the maintained list', () => {
    const cost = prices.cost('gpt-4o', { inputTokens: 1_000_000, outputTokens: 1_000_000 })
    expect(cost).toBeGreaterThan(1)
    expect(cost).toBeLessThan(100)
  })

  it('should price cached input tokens below uncached ones', () => {
    const uncached = prices.cost('gpt-4o', { inputTokens: 1_000_000, outputTokens: 0 })!
    const cached = prices.cost('gpt-4o', {
      inputTokens: 1_000_000,
      outputTokens: 0,
      cachedInputTokens: 1_000_000,
    })!
    expect(cached).toBeLessThan(uncached)
    expect(cached).toBeGreaterThan(0)
  })

  it('should match a provider-prefixed model name', () => {
    expect(prices.cost('openai/gpt-4o-mini', { inputTokens: 1000, outputTokens: 1000 })).toBe(
      prices.cost('gpt-4o-mini', { inputTokens: 1000, outputTokens: 1000 }),
    )
  })

  it('should return undefined, never 0, for an unknown model', () => {
    expect(prices.cost('no-such-model-xyz', { inputTokens: 1000, outputTokens: 1000 })).toBeUndefined()
    expect(prices.cost('no-such-model-xyz', { inputTokens: 1000, outputTokens: 1000 })).toBeUndefined()
  })

  it('should clamp a call above a model’s 200k-input tier at the tier’s output price', async () => {
    const budget = createBudget({ limits: [{ scope: 'agent', costUsd: 1 }], prices })
    const input = prices.cost('gemini-2.5-pro', { inputTokens: 250_000, outputTokens: 0 })!
    const perToken =
      (prices.cost('gemini-2.5-pro', { inputTokens: 250_000, outputTokens: 1_000_000 })! - input) / 1_000_000
    const expected = Math.floor((1 - input) / perToken + 1e-9)
    await expect(
      budget.affordableOutputTokens({ agent: 'a' }, { model: 'gemini-2.5-pro', inputTokens: 250_000 }),
    ).resolves.toBe(expected)
    const reservation = await budget.reserve(
      { agent: 'a' },
      { model: 'gemini-2.5-pro', inputTokens: 250_000, maxOutputTokens: 1_000_000, clamp: true },
    )
    expect(reservation.maxOutputTokens).toBe(expected)
    await reservation.release()
  })
})
