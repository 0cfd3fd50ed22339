/**
 * Splits a window's `total` into its lookup part (`ratio` of it, rounded down) and its reasoning part
 * (the rest).
 *
 * @example
 * const window = { total: 1000, lookupBudget: 0, reasoningBudget: 0 }
 * splitWindow(window, 0.9) // window.lookupBudget 900, window.reasoningBudget 100
 */
export function splitWindow(
  window: { total: number; lookupBudget: number; reasoningBudget: number },
  ratio: number,
): void {
  window.lookupBudget = Math.floor(window.total * ratio)
  window.reasoningBudget = window.total - window.lookupBudget
}
