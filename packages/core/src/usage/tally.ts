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

/**
 * Reads a tally from `fields[offset …]`, in {@link tallyFields} order (stores keep tallies as arrays).
 *
 * @example
 * tallyFromArray(new Float64Array(9), 0).tokens // 0
 */
export function tallyFromArray(fields: ArrayLike<number>, offset = 0): Tally {
  return {
    tokens: fields[offset]!,
    inputTokens: fields[offset + 1]!,
    outputTokens: fields[offset + 2]!,
    cachedInputTokens: fields[offset + 3]!,
    reasoningTokens: fields[offset + 4]!,
    costUsd: fields[offset + 5]!,
    requests: fields[offset + 6]!,
    estimatedRequests: fields[offset + 7]!,
    unpricedRequests: fields[offset + 8]!,
  }
}

/**
 * Writes a tally into `target[offset …]` in {@link tallyFields} order.
 *
 * @example
 * tallyToArray(emptyTally(), new Float64Array(9))
 */
export function tallyToArray<T extends { [index: number]: number }>(tally: Tally, target: T, offset = 0): T {
  target[offset] = tally.tokens
  target[offset + 1] = tally.inputTokens
  target[offset + 2] = tally.outputTokens
  target[offset + 3] = tally.cachedInputTokens
  target[offset + 4] = tally.reasoningTokens
  target[offset + 5] = tally.costUsd
  target[offset + 6] = tally.requests
  target[offset + 7] = tally.estimatedRequests
  target[offset + 8] = tally.unpricedRequests
  return target
}
