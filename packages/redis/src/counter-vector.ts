import { type CounterState, type LimitUnit, type Tally, tallyFields } from '@tokenwarden/core'

/** How many numbers a tally has. */
export const fieldCount = tallyFields.length

/** Index of each limit unit in a tally vector (the order of `tallyFields`). */
export const unitIndex: Record<LimitUnit, number> = {
  tokens: tallyFields.indexOf('tokens'),
  inputTokens: tallyFields.indexOf('inputTokens'),
  outputTokens: tallyFields.indexOf('outputTokens'),
  costUsd: tallyFields.indexOf('costUsd'),
  requests: tallyFields.indexOf('requests'),
}

/**
 * A tally as numbers in `tallyFields` order.
 *
 * @example
 * tallyToVector(emptyTally()) // [0, 0, 0, 0, 0, 0, 0, 0, 0]
 */
export function tallyToVector(tally: Tally): number[] {
  const vector: number[] = new Array(fieldCount)
  for (let f = 0; f < fieldCount; f++) vector[f] = tally[tallyFields[f]!]
  return vector
}

/**
 * A counter state from used and reserved vectors (`tallyFields` order each).
 *
 * @example
 * vectorsToState('a', used, reserved)
 */
export function vectorsToState(
  key: string,
  used: ArrayLike<number>,
  reserved: ArrayLike<number>,
): CounterState {
  const usedTally = {} as Tally
  const reservedTally = {} as Tally
  for (let f = 0; f < fieldCount; f++) {
    usedTally[tallyFields[f]!] = used[f]!
    reservedTally[tallyFields[f]!] = reserved[f]!
  }
  return { key, used: usedTally, reserved: reservedTally }
}

/**
 * A counter state of zeros (what a fail-open store reports).
 *
 * @example
 * emptyState('a').used.tokens // 0
 */
export function emptyState(key: string): CounterState {
  const zeros = new Array<number>(fieldCount).fill(0)
  return vectorsToState(key, zeros, zeros)
}
