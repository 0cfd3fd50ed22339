import type Anthropic from '@anthropic-ai/sdk'
import type { BudgetContext } from '@tokenwarden/core'
import { type BudgetAdapterOptions, validateAdapterOptions } from '@tokenwarden/core/adapter'
import { anthropicBudgeting } from './budgeted-client-class.ts'

/**
 * Options of {@link withBudget}. (`max_tokens` is required by the API, so it is always the reserved
 * output: there is no `defaultMaxOutputTokens`.)
 */
export interface WithBudgetOptions extends Omit<BudgetAdapterOptions, 'defaultMaxOutputTokens'> {
  /**
   * When the budget cannot afford a call (nothing is sent either way): `throw` a `BudgetExceededError`, or
   * `finish` gracefully: the call answers with a message (id `budgetExceededMessageId`, `stop_reason`
   * `end_turn`, zero usage) whose text is `exceededText`, streamed when the call streams.
   * @default 'throw'
   */
  onExceeded?: 'throw' | 'finish'
}

/** A budgeted client: the client you passed (same class, same type), plus `withContext`. */
export type BudgetedAnthropic<T extends Anthropic> = T & {
  /** A client for the same budget with more context merged in (made with `withOptions({})`). */
  withContext(context: BudgetContext): BudgetedAnthropic<T>
}

/**
 * Budgets every model call of an `@anthropic-ai/sdk` client: `messages.create` (JSON and `stream: true`),
 * `messages.stream()`, `messages.parse()`, `beta.messages.create` / `.stream` / `.parse` and the tool
 * runner. Before a call it estimates the input, reserves it with `max_tokens` (a refusal rejects with
 * `BudgetExceededError` and sends nothing), optionally clamps `max_tokens`, and shows pending warnings
 * in `system`; afterwards it settles the reported usage (cache reads and writes apart), or what a cut
 * or aborted stream used, and releases failed calls. While the budget has room the request is the one
 * the unwrapped client sends, byte for byte. It budgets the client you pass and returns it (no second
 * client is made); clients made from it with `withOptions()` or `withContext()` stay budgeted.
 *
 * @example
 * import Anthropic from '@anthropic-ai/sdk'
 * import { withBudget } from '@tokenwarden/anthropic'
 *
 * const client = withBudget(new Anthropic(), { budget, context: { agent: 'researcher' } })
 * const thread = client.withContext({ thread: 't-1' })
 * const message = await thread.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages })
 */
export function withBudget<T extends Anthropic>(client: T, options: WithBudgetOptions): BudgetedAnthropic<T> {
  return anthropicBudgeting.instrument(client, () => {
    const resolved = validateAdapterOptions<BudgetContext>(options)
    return { ...resolved, context: { ...resolved.context } }
  }) as BudgetedAnthropic<T>
}
