import type { LimitUnit } from '../limits/limit-unit.ts'
import { type Tally, tallyFields, tallyFromArray } from '../usage/tally.ts'
import type { CounterState } from './budget-store.ts'

/**
 * How many numbers a tally has (stores keep a counter as `used` then `reserved` vectors of this length).
 *
 * @example
 * new Float64Array(tallyFieldCount * 2)
 */
export const tallyFieldCount = tallyFields.length

/**
 * Index of each limit unit in a tally vector (the order of `tallyFields`).
 *
 * @example
 * vector[unitIndex.tokens]
 */
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
  const vector: number[] = new Array(tallyFieldCount)
  for (let f = 0; f < tallyFieldCount; f++) vector[f] = tally[tallyFields[f]!]
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
  return { key, used: tallyFromArray(used), reserved: tallyFromArray(reserved) }
}

/**
 * A counter state of zeros (what a fail-open store reports).
 *
 * @example
 * emptyCounterState('a').used.tokens // 0
 */
export function emptyCounterState(key: string): CounterState {
  const zeros = new Array<number>(tallyFieldCount).fill(0)
  return vectorsToState(key, zeros, zeros)
}
