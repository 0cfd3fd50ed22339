import {
  type Budget,
  type BudgetContext,
  BudgetValidationError,
  type CompressionEvent,
  type DowngradeEvent,
  type DowngradeLevel,
} from '@tokenwarden/core'
import type OpenAI from 'openai'
import { type OpenAICompressionOptions, resolveOpenAIPolicies } from './apply-budget-policies.ts'
import { assertContext } from './assert-context.ts'
import { budgetedClientClass, setCallSettings } from './budgeted-client-class.ts'
import type { CallSettings } from './plan-call.ts'

/** Options of {@link withBudget}. */
export interface WithBudgetOptions {
  budget: Budget
  /** Who the calls are for (agent, thread, user, task, custom scopes). @default {} */
  context?: BudgetContext
  /**
   * Lower `max_completion_tokens` / `max_tokens` / `max_output_tokens` to what the budget can still
   * afford instead of refusing; refuses only when fewer than `minOutputTokens` (default 1) remain.
   * @default false
   */
  clamp?: boolean | { minOutputTokens?: number }
  /** Show pending budget warnings to the model (chat: a system/developer message; responses: instructions). @default true */
  injectWarnings?: boolean
  /**
   * Called when a call's usage could not be counted afterwards (e.g. the store is down); the call itself
   * has succeeded and keeps its result. @default a `console.warn` with the error message (no prompt text)
   */
  onError?: (error: unknown) => void
  /**
   * Fit chat requests to a target size once the context passes a usage level (default 70% moderate,
   * 90% aggressive): drop low-signal turns, truncate the longest tool results, summarize older turns
   * with `summarizer` (a model id; a budgeted call) or drop them. System/developer messages and the latest turns
   * are kept. `true` uses the defaults. @default off
   */
  compression?: true | OpenAICompressionOptions
  /**
   * Send chat and responses calls to a cheaper model once the context passes a usage level, e.g.
   * `[{ atUsage: 0.9, model: 'gpt-4o-mini' }]`: `model` is rewritten in the request and the call is
   * reserved and settled under it. @default off
   */
  downgrade?: readonly DowngradeLevel<string>[]
  /** Told when a request was compressed (counts only, no text). */
  onCompressed?: (event: CompressionEvent) => void
  /** Told when a call went to a cheaper model. */
  onDowngraded?: (event: DowngradeEvent) => void
}

/** A budgeted client: the same type as the client it wraps, plus `withContext`. */
export type BudgetedOpenAI<T extends OpenAI> = T & {
  /**
   * A client for the same budget with more context merged in (e.g. the current thread or user).
   * Cheap; it shares the connection settings of this client.
   */
  withContext(context: BudgetContext): BudgetedOpenAI<T>
}

/**
 * Wraps an `openai` client so every model call is budgeted: `chat.completions.create` (JSON and
 * stream), `.parse`, `.stream`, `runTools`, `responses.create` (JSON and stream), `.stream`, `.parse`
 * and `embeddings.create`. Before a call it estimates and reserves (a refusal rejects with
 * `BudgetExceededError` and sends nothing), optionally clamps the output maximum, and shows pending
 * warnings to the model; afterwards it settles from the reported usage (cached and reasoning tokens
 * apart), releases on errors, and settles streams left early or cut from what arrived. The client you
 * pass is not changed; the returned one keeps its type, helpers and `APIPromise` methods, and clients
 * made from it with `withOptions()` or `withContext()` stay budgeted.
 *
 * @example
 * import OpenAI from 'openai'
 * import { withBudget } from '@tokenwarden/openai'
 *
 * const client = withBudget(new OpenAI(), { budget, context: { agent: 'researcher' } })
 * const thread = client.withContext({ thread: 't-1' })
 * const completion = await thread.chat.completions.create({ model: 'gpt-4o', messages })
 */
export function withBudget<T extends OpenAI>(client: T, options: WithBudgetOptions): BudgetedOpenAI<T> {
  if (
    client === null ||
    typeof client !== 'object' ||
    typeof (client as { withOptions?: unknown }).withOptions !== 'function' ||
    typeof (client as { request?: unknown }).request !== 'function'
  ) {
    throw new BudgetValidationError({ field: 'client', value: client, reason: 'expected an OpenAI client' })
  }
  const settings = callSettings(options)
  const Budgeted = budgetedClientClass(client.constructor as typeof OpenAI)
  const budgeted = client.withOptions({})
  if (!(budgeted instanceof Budgeted)) Object.setPrototypeOf(budgeted, Budgeted.prototype)
  setCallSettings(budgeted, settings)
  return budgeted as BudgetedOpenAI<T>
}

function callSettings(options: WithBudgetOptions): CallSettings {
  if (options === null || typeof options !== 'object') {
    throw new BudgetValidationError({
      field: 'options',
      value: options,
      reason: 'expected { budget, context }',
    })
  }
  const { budget, context = {}, clamp = false, injectWarnings = true, onError = warn } = options
  if (budget === null || typeof budget !== 'object' || typeof budget.reserve !== 'function') {
    throw new BudgetValidationError({
      field: 'options.budget',
      value: budget,
      reason: 'expected a budget from createBudget()',
    })
  }
  assertContext(context, 'options.context')
  if (typeof injectWarnings !== 'boolean') {
    throw new BudgetValidationError({
      field: 'options.injectWarnings',
      value: injectWarnings,
      reason: 'expected a boolean',
    })
  }
  if (typeof onError !== 'function') {
    throw new BudgetValidationError({
      field: 'options.onError',
      value: onError,
      reason: 'expected a function',
    })
  }
  return {
    budget,
    context: { ...context },
    clamp: clampSetting(clamp),
    injectWarnings,
    onError,
    policies: resolveOpenAIPolicies(options),
  }
}

function clampSetting(clamp: WithBudgetOptions['clamp']): CallSettings['clamp'] {
  if (clamp === false) return false
  if (clamp === true) return { minOutputTokens: 1 }
  if (clamp === null || typeof clamp !== 'object') {
    throw new BudgetValidationError({
      field: 'options.clamp',
      value: clamp,
      reason: 'expected a boolean or { minOutputTokens }',
    })
  }
  const min = clamp.minOutputTokens ?? 1
  if (!Number.isInteger(min) || min < 1) {
    throw new BudgetValidationError({
      field: 'options.clamp.minOutputTokens',
      value: min,
      reason: 'expected a whole number ≥ 1',
    })
  }
  return { minOutputTokens: min }
}

function warn(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error)
  console.warn(`[tokenwarden] [openai] a call's usage could not be counted: ${message}`)
}
