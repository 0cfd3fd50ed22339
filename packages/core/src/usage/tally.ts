/**
 * What a counter accumulates: tokens, USD and requests, with cached-input and reasoning tokens kept apart
 * (they are priced differently). `inputTokens` includes `cachedInputTokens`; `outputTokens` includes
 * `reasoningTokens`; `tokens` is input + output. `estimatedRequests` counts calls settled from an estimate
 * because the provider reported no usage; `unpricedRequests` counts calls whose model had no known price.
 *
 * @example
 * const t: Tally = emptyTally()
 */
export interface Tally {
  tokens: number
  inputTokens: number
  outputTokens: number
  cachedInputTokens: number
  reasoningTokens: number
  costUsd: number
  requests: number
  estimatedRequests: number
  unpricedRequests: number
}

/** The fields of a {@link Tally}, in a fixed order (stores may rely on it). */
export const tallyFields = [
  'tokens',
  'inputTokens',
  'outputTokens',
  'cachedInputTokens',
  'reasoningTokens',
  'costUsd',
  'requests',
  'estimatedRequests',
  'unpricedRequests',
] as const satisfies readonly (keyof Tally)[]

/**
 * A tally of zeros.
 *
 * @example
 * const total = emptyTally()
 */
export function emptyTally(): Tally {
  return {
    tokens: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    requests: 0,
    estimatedRequests: 0,
    unpricedRequests: 0,
  }
}
