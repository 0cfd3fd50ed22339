import { BudgetExceededError } from '@tokenwarden/core'

/**
 * The `BudgetExceededError` behind an error, if any. `create()`, `parse()` and `embeddings.create()`
 * reject with the `BudgetExceededError` itself, but the SDK's event-stream helpers
 * (`chat.completions.stream`, `runTools`, `responses.stream`) wrap every non-OpenAI error in an
 * `OpenAIError` whose `cause` is the original: this looks through `cause` chains.
 *
 * @example
 * try { await client.responses.stream(params).finalResponse() } catch (error) {
 *   const exceeded = budgetExceededErrorOf(error)
 *   if (exceeded) console.log(exceeded.scope, exceeded.remaining)
 * }
 */
export function budgetExceededErrorOf(error: unknown): BudgetExceededError | undefined {
  let current = error
  for (let depth = 0; depth < 8 && current != null; depth++) {
    if (BudgetExceededError.isInstance(current)) return current
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}
