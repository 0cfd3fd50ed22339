/**
 * Counts the tokens of a text before a call, for the reservation. The default is
 * {@link estimateTokens}; plug in an exact tokenizer with `createBudget({ estimator })`.
 *
 * @example
 * const estimator: TokenEstimator = { count: (text) => myTokenizer.encode(text).length }
 */
export interface TokenEstimator {
  count(text: string): number
}
