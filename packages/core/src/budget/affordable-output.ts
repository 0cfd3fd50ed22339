import type { CounterState, StoreDenial } from '../stores/budget-store.ts'
import type { ResolvedCharge } from './resolve-charges.ts'

/** What the USD limits need to know about a call's model: its input cost and its output price. */
export type OutputPricing =
  | { known: true; inputCost: number; outputPerMillion: number }
  /** `failClosed`: the price is unknown and the budget refuses such calls on USD limits. */
  | { known: false; failClosed: boolean }

/** The largest output a call can afford and, when that is finite, the counter that binds it. */
export interface AffordableOutput {
  tokens: number
  denial: (StoreDenial & { requested: number }) | undefined
}

/**
 * The largest number of output tokens a call with `inputTokens` fits into on every charged counter
 * (`Infinity` when no limit bounds it), and the binding counter (for the error when nothing fits).
 */
export function affordableOutput(
  charges: readonly ResolvedCharge[],
  states: readonly CounterState[],
  inputTokens: number,
  pricing: OutputPricing,
): AffordableOutput {
  let tokens = Number.POSITIVE_INFINITY
  let denial: AffordableOutput['denial']
  charges.forEach((resolved, index) => {
    const state = states[index]!
    for (const { unit, cap } of resolved.capList) {
      const used = state.used[unit]
      const reserved = state.reserved[unit]
      const granted = state.granted?.[unit] ?? 0
      const left = cap + granted - used - reserved
      let fits: number
      switch (unit) {
        case 'tokens':
          fits = left - inputTokens
          break
        case 'outputTokens':
          fits = left
          break
        case 'inputTokens':
          fits = left >= inputTokens ? Number.POSITIVE_INFINITY : -1
          break
        case 'requests':
          fits = left >= 1 ? Number.POSITIVE_INFINITY : -1
          break
        case 'costUsd':
          fits = costFits(left, pricing)
          break
      }
      fits = Math.floor(fits + 1e-9)
      if (fits < tokens) {
        tokens = fits
        denial = {
          index,
          unit,
          used,
          reserved,
          ...(granted > 0 ? { granted } : {}),
          requested: unit === 'requests' ? 1 : unit === 'inputTokens' ? inputTokens : 0,
        }
      }
    }
  })
  return { tokens: Math.max(0, tokens), denial }
}

function costFits(left: number, pricing: OutputPricing): number {
  if (!pricing.known) return pricing.failClosed ? -1 : Number.POSITIVE_INFINITY
  if (pricing.outputPerMillion === 0) return left >= pricing.inputCost ? Number.POSITIVE_INFINITY : -1
  return ((left - pricing.inputCost) * 1_000_000) / pricing.outputPerMillion
}
