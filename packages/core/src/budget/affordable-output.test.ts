import { describe, expect, it } from 'vitest'
import type { PriceSource } from '../prices/price-source.ts'
import { createBudget } from './create-budget.ts'

/** A Gemini-2.5-Pro-like price: input $1.25/M and output $10/M, $2.50/M and $15/M above 200k input tokens. */
const tiered: PriceSource = {
  cost(model, usage) {
    if (model !== 'tiered-model') return undefined
    const above = usage.inputTokens > 200_000
    return (usage.inputTokens * (above ? 2.5 : 1.25) + usage.outputTokens * (above ? 15 : 10)) / 1_000_000
  },
}

function budget() {
  return createBudget({ limits: [{ scope: 'agent', costUsd: 1 }], prices: tiered })
}

describe('affordable output with tiered prices', () => {
  it('should price the output at the tier of the call’s input when clamping', async () => {
    const b = budget()
    // 250k input costs $0.625 at the upper tier; $0.375 left buys 25,000 output tokens at $15/M
    const reservation = await b.reserve(
      { agent: 'a' },
      { model: 'tiered-model', inputTokens: 250_000, maxOutputTokens: 100_000, clamp: true },
    )
    expect(reservation.maxOutputTokens).toBe(25_000)
    await reservation.settle({ inputTokens: 250_000, outputTokens: 25_000 })
    const [status] = await b.status({ agent: 'a' })
    expect(status?.used).toBeCloseTo(1, 9)
  })

  it('should agree with affordableOutputTokens', async () => {
    const b = budget()
    await expect(
      b.affordableOutputTokens({ agent: 'a' }, { model: 'tiered-model', inputTokens: 250_000 }),
    ).resolves.toBe(25_000)
    // below the tier: ($1 − $0.125) at $10/M
    await expect(
      b.affordableOutputTokens({ agent: 'a' }, { model: 'tiered-model', inputTokens: 100_000 }),
    ).resolves.toBe(87_500)
  })
})
