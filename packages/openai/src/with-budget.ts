import {
  type BudgetContext,
  type CompressionEvent,
  type CompressionOptions,
  type DowngradeEvent,
  type DowngradeLevel,
  resolveBudgetPolicies,
} from '@tokenwarden/core'
import { type BudgetAdapterOptions, validateAdapterOptions } from '@tokenwarden/core/adapter'
import type OpenAI from 'openai'
import type { budgetExceededId } from './budget-exceeded-response.ts'
import { openAIBudgeting } from './budgeted-client-class.ts'
import type { ClientSettings } from './start-request-call.ts'

/**
 * Budget-driven compression of chat requests, with the model that writes summaries.
 *
 * @example
 * const compression: OpenAICompressionOptions = { summarizer: 'gpt-4o-mini' }
 */
export interface OpenAICompressionOptions extends CompressionOptions {
  /**
   * The model that summarizes older turns (`summarize` strategy), called with the same budgeted client
   * and context (reserved and charged like any call). Without it, `summarize` is skipped.
   */
  summarizer?: string
}

/** Options of {@link withBudget}. */
export interface WithBudgetOptions extends BudgetAdapterOptions {
  /** Who the calls are for (agent, thread, user, task, custom scopes); per call: `client.withContext()`. @default {} */
  context?: BudgetContext
  /**
   * When the budget cannot afford a call (no request is sent): `'throw'` a `BudgetExceededError`, or
   * `'finish'` with an answer made of `exceededText` (zero usage, `id` {@link budgetExceededId}; the
   * model's `refusal` for structured output), JSON or stream as the call asked. Embeddings always throw.
   * @default 'throw'
   */
  onExceeded?: 'throw' | 'finish'
  /**
   * Fit chat requests to a target size once the context passes a usage level (default 70% moderate,
   * 90% aggressive): drop low-signal turns, truncate the longest tool results, summarize older turns
   * with `summarizer` (a model id; a budgeted call) or drop them. `true` uses the defaults. @default off
   */
  compression?: true | OpenAICompressionOptions
  /**
   * Send chat and responses calls to a cheaper model once the context passes a usage level, e.g.
   * `[{ atUsage: 0.9, model: 'gpt-4o-mini' }]`: reserved and settled under it. @default off
   */
  downgrade?: readonly DowngradeLevel<string>[]
  /** Told when a request was compressed (counts only, no text). */
  onCompressed?: (event: CompressionEvent) => void
  /** Told when a call went to a cheaper model. */
  onDowngraded?: (event: DowngradeEvent) => void
}

/** A budgeted client: the client you passed (same object and type), plus `withContext`. */
export type BudgetedOpenAI<T extends OpenAI> = T & {
  /** A client for the same budget with more context merged in (e.g. the current thread or user). */
  withContext(context: BudgetContext): BudgetedOpenAI<T>
}

/**
 * Budgets every model call of an `openai` client: `chat.completions.create` (JSON and stream),
 * `.parse`, `.stream`, `runTools`, `responses.create` (JSON and stream), `.stream`, `.parse` and
 * `embeddings.create`. It instruments the client you pass and returns it (no second client; still an
 * instance of your class; `withOptions()` clones stay budgeted; wrapping again replaces the options).
 * Before a call it estimates and reserves (a refusal rejects with `BudgetExceededError` and sends
 * nothing); afterwards it settles the reported usage, or the estimate for a stream left early. With
 * room in the budget the request bytes are the ones the client sends without it (chat streams ask for
 * `include_usage`, and the extra chunk is hidden).
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
  return openAIBudgeting.instrument(client, () => clientSettings(options)) as BudgetedOpenAI<T>
}

function clientSettings(options: WithBudgetOptions): ClientSettings {
  const resolved = validateAdapterOptions(options)
  return {
    ...resolved,
    context: { ...resolved.context },
    policies:
      options.compression == null && options.downgrade === undefined
        ? undefined
        : resolveBudgetPolicies(options, {
            prefix: '',
            isModel: isModelId,
            isSummarizer: isModelId,
            summarizerKind: 'a model id',
          }),
  }
}

function isModelId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0
}
