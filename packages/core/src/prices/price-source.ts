import type { TokenUsage } from '../usage/token-usage.ts'

/**
 * Where USD costs come from. `cost` returns `undefined` when the model's price is unknown (never 0 for
 * "unknown"). `@tokenwarden/prices` provides one backed by a maintained price list.
 *
 * @example
 * const source: PriceSource = { cost: (model, usage) => (model === 'local' ? 0 : undefined) }
 */
export interface PriceSource {
  cost(model: string, usage: TokenUsage): number | undefined
}

/**
 * A model's price in USD per million tokens. Cached input, cache writes and reasoning default to the
 * input and output prices when omitted.
 *
 * @example
 * const price: ModelPrice = { inputPerMillion: 2.5, outputPerMillion: 10, cachedInputPerMillion: 1.25 }
 */
export interface ModelPrice {
  inputPerMillion: number
  outputPerMillion: number
  cachedInputPerMillion?: number
  cacheWriteInputPerMillion?: number
  reasoningPerMillion?: number
}
