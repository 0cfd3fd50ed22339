import { InvalidPriceError } from '../errors/invalid-price-error.ts'
import { UnknownPriceError } from '../errors/unknown-price-error.ts'
import type { EventHub } from '../events/event-hub.ts'
import type { PriceSource } from '../prices/price-source.ts'
import type { Tally } from '../usage/tally.ts'
import type { TokenUsage } from '../usage/token-usage.ts'
import type { OutputPricing } from './affordable-output.ts'
import type { BudgetContext } from './budget-context.ts'
import type { ResolvedCharge } from './resolve-charges.ts'
import type { UsageSnapshot } from './validate-request.ts'

/**
 * Prices a budget's reservations and usage: the model's cost when known, and what happens when it is
 * not (refuse on a USD limit, or count as unpriced with a `priceUnknown` event).
 */
export class UsagePricing {
  private readonly prices: PriceSource | undefined
  private readonly unknownPrice: 'error' | 'warn' | 'ignore'
  private readonly events: EventHub

  constructor(prices: PriceSource | undefined, unknownPrice: 'error' | 'warn' | 'ignore', events: EventHub) {
    this.prices = prices
    this.unknownPrice = unknownPrice
    this.events = events
  }

  /**
   * The price source's cost of a usage, checked: `undefined` (unknown) or a finite number ≥ 0, else an
   * `InvalidPriceError` naming the model (fail closed: a NaN would admit everything, a negative price
   * would credit the budget).
   */
  costOf(model: string, usage: TokenUsage): number | undefined {
    if (this.prices === undefined) return undefined
    const cost: unknown = this.prices.cost(model, usage)
    if (cost === undefined) return undefined
    if (typeof cost !== 'number' || Number.isNaN(cost))
      throw new InvalidPriceError({ model, value: cost, reason: 'expected a number of USD or undefined' })
    if (!Number.isFinite(cost))
      throw new InvalidPriceError({ model, value: cost, reason: 'expected a finite number of USD' })
    if (cost < 0) throw new InvalidPriceError({ model, value: cost, reason: 'expected a cost ≥ 0 USD' })
    return cost
  }

  /**
   * The cost of a usage, or `undefined` when unpriced (counted as 0 USD; refused when a USD limit applies
   * and `unknownPrice` is error). An invalid price (`InvalidPriceError`) is refused when a USD limit
   * applies; otherwise the call's tokens still count, unpriced, and the error is reported as
   * `handlerError` (`prices.cost`).
   */
  priceOf(
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    usage: TokenUsage,
  ): number | undefined {
    let cost: number | undefined
    if (model !== undefined) {
      try {
        cost = this.costOf(model, usage)
      } catch (error) {
        if (!InvalidPriceError.isInstance(error) || charges.some((c) => c.limit.usesCost)) throw error
        this.events.fail('prices.cost', error)
        return undefined
      }
    }
    if (cost !== undefined) return cost
    const costLimit = costCharge(charges)
    if (costLimit !== undefined && this.unknownPrice === 'error') {
      throw new UnknownPriceError({ model, limitName: costLimit.limit.name })
    }
    if (model !== undefined && this.unknownPrice !== 'ignore' && this.events.has('priceUnknown')) {
      this.events.emit('priceUnknown', { model, context })
    }
    return undefined
  }

  /** What a reservation holds: its input and maximum output, priced when a USD limit applies. */
  reserveAmount(
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    inputTokens: number,
    outputTokens: number,
  ): Tally {
    const needsCost = costCharge(charges) !== undefined
    const cost = needsCost ? (this.priceOf(context, model, charges, { inputTokens, outputTokens }) ?? 0) : 0
    return {
      tokens: inputTokens + outputTokens,
      inputTokens,
      outputTokens,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      costUsd: cost,
      requests: 1,
      estimatedRequests: 0,
      unpricedRequests: 0,
    }
  }

  /** A usage (read once and validated, see `readUsage`) as a tally, priced (or counted as unpriced). */
  usageTally(
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    usage: UsageSnapshot,
  ): Tally {
    // Counted before the price source sees the usage: whatever it does cannot change what is counted.
    const tally: Tally = {
      tokens: usage.inputTokens + usage.outputTokens,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cachedInputTokens: usage.cachedInputTokens ?? 0,
      reasoningTokens: usage.reasoningTokens ?? 0,
      costUsd: 0,
      requests: 1,
      estimatedRequests: usage.estimated ? 1 : 0,
      unpricedRequests: 0,
    }
    const cost = this.priceOf(context, model, charges, usage)
    if (cost === undefined) tally.unpricedRequests = 1
    else tally.costUsd = cost
    return tally
  }

  /**
   * Input cost and output cost per million tokens of a call, for the USD limits' affordability. The
   * output price is the marginal one at this call's input (`cost(input, 1M output) − cost(input, 0)`), so
   * a tier chosen by the input size (e.g. above 200k input tokens) prices the output too.
   */
  outputPricing(model: string | undefined, inputTokens: number): OutputPricing {
    const input = model === undefined ? undefined : this.costOf(model, { inputTokens, outputTokens: 0 })
    const withOutput =
      model === undefined ? undefined : this.costOf(model, { inputTokens, outputTokens: 1_000_000 })
    if (input === undefined || withOutput === undefined)
      return { known: false, failClosed: this.unknownPrice === 'error' }
    return { known: true, inputCost: input, outputPerMillion: Math.max(0, withOutput - input) }
  }
}

/** The first charge whose limit counts USD (a loop: no closure made per call on the hot path). */
function costCharge(charges: readonly ResolvedCharge[]): ResolvedCharge | undefined {
  for (let i = 0; i < charges.length; i++) if (charges[i]!.limit.usesCost) return charges[i]
  return undefined
}
