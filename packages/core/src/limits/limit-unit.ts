/**
 * The units a limit can cap: total tokens (input + output), input tokens, output tokens, USD cost and
 * requests (calls).
 *
 * @example
 * const unit: LimitUnit = 'costUsd'
 */
export type LimitUnit = 'tokens' | 'inputTokens' | 'outputTokens' | 'costUsd' | 'requests'

/** Every {@link LimitUnit}, in display order. */
export const limitUnits: readonly LimitUnit[] = [
  'tokens',
  'inputTokens',
  'outputTokens',
  'costUsd',
  'requests',
]
