export { type GenaiPricesOptions, genaiPrices } from './genai-prices.ts'
