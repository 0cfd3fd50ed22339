import { calcPrice } from '@pydantic/genai-prices'
import type { PriceSource, TokenUsage } from '@tokenwarden/core'

/** Options of {@link genaiPrices}. */
export interface GenaiPricesOptions {
  /**
   * Restricts matching to one provider (`openai`, `anthropic`, `google`, …). Without it a model name is
   * matched against every provider's models.
   */
  providerId?: string
}

/**
 * A {@link PriceSource} backed by `@pydantic/genai-prices`, the price list Pydantic maintains for
 * hundreds of models across providers (cache-read and cache-write rates, tiers and dated price
 * changes included). Returns `undefined` for unknown models, so tokenwarden fails closed on USD limits
 * rather than counting them as $0.
 *
 * @example
 * import { createBudget } from '@tokenwarden/core'
 * import { genaiPrices } from '@tokenwarden/prices'
 * const budget = createBudget({ limits: [{ scope: 'agent', costUsd: 5, period: 'day' }], prices: genaiPrices() })
 */
export function genaiPrices({ providerId }: GenaiPricesOptions = {}): PriceSource {
  const unknown = new Set<string>()
  return {
    cost(model: string, usage: TokenUsage): number | undefined {
      if (unknown.has(model)) return undefined
      const result =
        calcPrice(toGenaiUsage(usage), model, providerId === undefined ? undefined : { providerId }) ??
        (model.includes('/') ? calcPrice(toGenaiUsage(usage), model.slice(model.lastIndexOf('/') + 1)) : null)
      if (result === null) {
        unknown.add(model)
        return undefined
      }
      return result.total_price
    },
  }
}

function toGenaiUsage(usage: TokenUsage): Record<string, number> {
  return {
    input_tokens: usage.inputTokens,
    cache_read_tokens: usage.cachedInputTokens ?? 0,
    cache_write_tokens: usage.cacheWriteInputTokens ?? 0,
    output_tokens: usage.outputTokens,
  }
}
