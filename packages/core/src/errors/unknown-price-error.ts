import { TokenwardenError } from './tokenwarden-error.ts'

const name = 'tokenwarden.error.unknown-price'
const symbol = Symbol.for(name)

/**
 * Thrown when a USD limit applies to a call and the model's price is unknown (the default policy,
 * `unknownPrice: 'error'`): tokenwarden never counts a call as costing $0 silently. Add the model with
 * `prices.models`, use a price source that knows it, or set `unknownPrice` to `'warn'` or `'ignore'`.
 *
 * @example
 * createBudget({ limits, prices: { models: { 'my-finetune': { inputPerMillion: 3, outputPerMillion: 12 } } } })
 */
export class UnknownPriceError extends TokenwardenError {
  protected readonly [symbol] = true
  /** The model whose price is unknown (`undefined` when the call named no model). */
  readonly model: string | undefined
  /** The USD limit that needed the price. */
  readonly limitName: string

  constructor({
    model,
    limitName,
    cause,
  }: { model: string | undefined; limitName: string; cause?: unknown }) {
    super({
      code: 'unknown_price',
      message:
        model === undefined
          ? `${describeLimit(limitName)} applies but the call names no model, so its cost is unknown`
          : `no price is known for model "${model}" and ${describeLimit(limitName)} applies; add it to prices.models or set unknownPrice`,
      cause,
    })
    this.name = 'UnknownPriceError'
    this.model = model
    this.limitName = limitName
  }

  static override isInstance(error: unknown): error is UnknownPriceError {
    return TokenwardenError.hasMarker(error, name)
  }
}

/** A limit's default name (`agent:researcher/day`, `thread/none`) in words; a custom name quoted. */
function describeLimit(limitName: string): string {
  const match = /^([^/:]+)(?::([^/]+))?\/(none|hour|day|week|month|rolling:\d+:\d+)$/.exec(limitName)
  if (match === null) return `the USD limit "${limitName}"`
  const [, scope, id, period] = match as unknown as [string, string, string | undefined, string]
  const when =
    period === 'none' ? 'all time' : period.startsWith('rolling:') ? 'rolling window' : `per ${period}`
  return `the USD limit on ${scope}${id === undefined ? '' : ` "${id}"`} (${when})`
}
