import { assertAmount, assertObject } from '../limits/validate.ts'
import type { TokenUsage } from '../usage/token-usage.ts'
import type { ModelPrice, PriceSource } from './price-source.ts'

/**
 * A {@link PriceSource} from a table of per-million prices, e.g. for fine-tunes, local models or
 * negotiated rates. Model names match exactly, then case-insensitively, then without a provider prefix
 * (`openai/gpt-4o` → `gpt-4o`).
 *
 * @example
 * const prices = staticPrices({ 'my-finetune': { inputPerMillion: 3, outputPerMillion: 12 } })
 * prices.cost('my-finetune', { inputTokens: 1_000_000, outputTokens: 0 }) // 3
 */
export function staticPrices(models: Record<string, ModelPrice>, field = 'prices.models'): PriceSource {
  assertObject(models, field)
  const table = new Map<string, ModelPrice>()
  for (const [model, input] of Object.entries(models)) {
    const priceField = `${field}[${JSON.stringify(model)}]`
    assertObject(input, priceField)
    // Each price read once into a copy: only the validated copy prices usage.
    const price: ModelPrice = { inputPerMillion: 0, outputPerMillion: 0 }
    for (const key of priceKeys) {
      const value = input[key]
      if (key === 'inputPerMillion' || key === 'outputPerMillion' || value !== undefined) {
        assertAmount(value, `${priceField}.${key}`)
        price[key] = value
      }
    }
    table.set(model, price)
    if (!table.has(model.toLowerCase())) table.set(model.toLowerCase(), price)
  }
  // the last model priced and its price (calls repeat one model: no lookup then; the table never changes)
  let lastModel: string | undefined
  let lastPrice: ModelPrice | undefined
  return {
    cost(model, usage) {
      if (model === lastModel) return lastPrice === undefined ? undefined : priceUsage(lastPrice, usage)
      const price =
        table.get(model) ??
        table.get(model.toLowerCase()) ??
        table.get(model.slice(model.lastIndexOf('/') + 1))
      lastModel = model
      lastPrice = price
      return price === undefined ? undefined : priceUsage(price, usage)
    },
  }
}

const priceKeys = [
  'inputPerMillion',
  'outputPerMillion',
  'cachedInputPerMillion',
  'cacheWriteInputPerMillion',
  'reasoningPerMillion',
] as const

/**
 * The USD cost of `usage` at `price`.
 *
 * @example
 * priceUsage({ inputPerMillion: 2.5, outputPerMillion: 10 }, { inputTokens: 1000, outputTokens: 100 }) // 0.0035
 */
export function priceUsage(price: ModelPrice, usage: TokenUsage): number {
  const cached = usage.cachedInputTokens ?? 0
  const cacheWrite = usage.cacheWriteInputTokens ?? 0
  const reasoning = usage.reasoningTokens ?? 0
  return (
    ((usage.inputTokens - cached - cacheWrite) * price.inputPerMillion +
      cached * (price.cachedInputPerMillion ?? price.inputPerMillion) +
      cacheWrite * (price.cacheWriteInputPerMillion ?? price.inputPerMillion) +
      (usage.outputTokens - reasoning) * price.outputPerMillion +
      reasoning * (price.reasoningPerMillion ?? price.outputPerMillion)) /
    1_000_000
  )
}
