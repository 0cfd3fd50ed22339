import type Anthropic from '@anthropic-ai/sdk'
import {
  type Budget,
  type BudgetContext,
  type BudgetExceededError,
  BudgetValidationError,
} from '@tokenwarden/core'
import { assertContext, budgetedClientClass, setClientSettings } from './budgeted-client-class.ts'
import type { ClientSettings } from './start-messages-call.ts'

/** Options of {@link withBudget}. */
export interface WithBudgetOptions {
  /** The budget every call is reserved against and settled to. */
  budget: Budget
  /** Who the calls are for (agent, thread, user, task, custom scopes). @default {} */
  context?: BudgetContext
  /** The model id used for prices and `model` limits. @default the request's `model` */
  modelId?: string
  /**
   * Lower a call's `max_tokens` to what the budget can still afford instead of refusing it; refuses only
   * when fewer than `minOutputTokens` (default 1) remain. (`max_tokens` is required by the API, so it is
   * always the reserved output: there is no `defaultMaxOutputTokens`.)
   * @default false
   */
  clamp?: boolean | { minOutputTokens?: number }
  /** Show the context's pending budget warnings to the model, in `system`. @default true */
  injectWarnings?: boolean
  /** Also show a one-line budget status on every call, so an agent can plan. @default false */
  injectStatus?: boolean
  /**
   * When the budget cannot afford a call (nothing is sent either way): `throw` a `BudgetExceededError`, or
   * `finish` gracefully: the call answers with a message (id `budgetExceededMessageId`, `stop_reason`
   * `end_turn`, zero usage) whose text is `exceededText`, streamed when the call streams.
   * @default 'throw'
   */
  onExceeded?: 'throw' | 'finish'
  /** The text of a call ended with `onExceeded: 'finish'`. @default the error's message */
  exceededText?: (error: BudgetExceededError) => string
  /** Abort a stream once its counted output passes the reserved `max_tokens`. @default false */
  stopStreamsAtReservation?: boolean
  /**
   * A call that makes no progress for this long (a stream nobody reads, a response nobody parses) is
   * settled from its estimate and its request aborted; progress renews the lease.
   * @default 60_000
   */
  stallMs?: number
}

/** A budgeted client: the client you passed (same class, same type), plus `withContext`. */
export type BudgetedAnthropic<T extends Anthropic> = T & {
  /**
   * A client for the same budget with more context merged in (e.g. the current thread or user), made
   * with `withOptions({})`: it shares this client's connection settings.
   */
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
  if (
    client === null ||
    typeof client !== 'object' ||
    typeof (client as { withOptions?: unknown }).withOptions !== 'function' ||
    typeof (client as { request?: unknown }).request !== 'function'
  ) {
    throw new BudgetValidationError({
      field: 'client',
      value: client,
      reason: 'expected an Anthropic client',
    })
  }
  const settings = clientSettings(options)
  const Budgeted = budgetedClientClass(client.constructor as typeof Anthropic)
  if (!(client instanceof Budgeted)) Object.setPrototypeOf(client, Budgeted.prototype)
  setClientSettings(client, settings)
  return client as BudgetedAnthropic<T>
}

function clientSettings(options: WithBudgetOptions): ClientSettings {
  if (options === null || typeof options !== 'object') {
    throw new BudgetValidationError({ field: 'options', value: options, reason: 'expected { budget, … }' })
  }
  const {
    budget,
    context = {},
    modelId,
    clamp = false,
    injectWarnings = true,
    injectStatus = false,
    onExceeded = 'throw',
    exceededText = (error: BudgetExceededError) => error.message,
    stopStreamsAtReservation = false,
    stallMs,
  } = options
  if (budget === null || typeof budget !== 'object' || typeof budget.reserve !== 'function') {
    throw invalid('budget', budget, 'expected a budget from createBudget()')
  }
  assertContext(context, 'context')
  if (modelId !== undefined && (typeof modelId !== 'string' || modelId.length === 0))
    throw invalid('modelId', modelId, 'expected a non-empty string')
  for (const [field, value] of Object.entries({ injectWarnings, injectStatus, stopStreamsAtReservation }))
    if (typeof value !== 'boolean') throw invalid(field, value, 'expected a boolean')
  if (onExceeded !== 'throw' && onExceeded !== 'finish')
    throw invalid('onExceeded', onExceeded, "expected 'throw' or 'finish'")
  if (typeof exceededText !== 'function') throw invalid('exceededText', exceededText, 'expected a function')
  if (stallMs !== undefined && !(typeof stallMs === 'number' && stallMs > 0 && Number.isFinite(stallMs)))
    throw invalid('stallMs', stallMs, 'expected a duration > 0 ms')
  if (typeof clamp !== 'boolean' && (clamp === null || typeof clamp !== 'object'))
    throw invalid('clamp', clamp, 'expected a boolean or { minOutputTokens }')
  return {
    budget,
    context: { ...context },
    modelId,
    clamp,
    injectWarnings,
    injectStatus,
    stopStreamsAtReservation,
    stallMs,
    exceededText: onExceeded === 'finish' ? exceededText : undefined,
  }
}

function invalid(field: string, value: unknown, reason: string): BudgetValidationError {
  return new BudgetValidationError({ field, value, reason })
}
