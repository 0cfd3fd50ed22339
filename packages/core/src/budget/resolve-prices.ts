import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import type { PriceSource } from '../prices/price-source.ts'
import { staticPrices } from '../prices/static-prices.ts'
import type { BudgetOptions } from './budget.ts'

/** The price source of a budget: a source, per-model overrides, or overrides on top of a source. */
export function resolvePrices(prices: BudgetOptions['prices']): PriceSource | undefined {
  if (prices === undefined) return undefined
  if (prices === null || typeof prices !== 'object') {
    throw new BudgetValidationError({
      field: 'prices',
      value: prices,
      reason: 'expected a price source or { source, models }',
    })
  }
  if ('cost' in prices && typeof prices.cost === 'function') return prices
  const { source, models } = prices as { source?: PriceSource; models?: Record<string, never> }
  if (source !== undefined && typeof source?.cost !== 'function') {
    throw new BudgetValidationError({
      field: 'prices.source',
      value: source,
      reason: 'expected an object with cost(model, usage)',
    })
  }
  const overrides = models === undefined ? undefined : staticPrices(models, 'prices.models')
  if (overrides === undefined) return source
  if (source === undefined) return overrides
  return { cost: (model, usage) => overrides.cost(model, usage) ?? source.cost(model, usage) }
}
