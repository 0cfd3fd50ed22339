import type { TokenEstimator } from '../estimation/token-estimator.ts'

/** Appended to a truncated text so the model knows part of it is missing. */
export const truncationMarker = '\n[… truncated by tokenwarden to fit the budget]'

/**
 * Shortens a text so that, marker included, the estimator counts at most `maxTokens` tokens; keeps the
 * beginning of the text. Returns the text unchanged when it already fits.
 *
 * @example
 * truncateToTokens(longToolResult, 200, budget.estimator) // the first ~780 characters + the marker
 */
export function truncateToTokens(text: string, maxTokens: number, estimator: TokenEstimator): string {
  if (estimator.count(text) <= maxTokens) return text
  const room = maxTokens - estimator.count(truncationMarker)
  if (room <= 0) return truncationMarker.trimStart()
  // The longest prefix that fits, by binary search on its length.
  let low = 0
  let high = text.length
  while (low < high) {
    const middle = Math.ceil((low + high) / 2)
    if (estimator.count(text.slice(0, middle)) <= room) low = middle
    else high = middle - 1
  }
  let end = low
  const code = text.charCodeAt(end - 1)
  if (code >= 0xd800 && code <= 0xdbff) end-- // never split a surrogate pair
  return `${text.slice(0, end)}${truncationMarker}`
}
