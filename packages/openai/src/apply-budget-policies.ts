import {
  type Budget,
  type BudgetContext,
  type CompressionEvent,
  type CompressionOptions,
  chooseDowngrade,
  compressionEvent,
  type DowngradeEvent,
  type DowngradeLevel,
  type ResolvedBudgetPolicies,
  reportPolicyEvent,
  resolveBudgetPolicies,
  summaryInstructions,
  summaryTranscript,
  type TranscriptEntry,
  usageLevel,
} from '@tokenwarden/core'
import type OpenAI from 'openai'
import { compressChatMessages } from './compress-chat-messages.ts'
import type { Endpoint } from './to-call-input.ts'

/** Budget-driven compression of chat requests, with the model that writes summaries. */
export interface OpenAICompressionOptions extends CompressionOptions {
  /**
   * The model that summarizes older turns (`summarize` strategy), called with the same budgeted client
   * and context (reserved and charged like any call). Without it, `summarize` is skipped.
   */
  summarizer?: string
}

/** The compression and downgrade settings of a budgeted client, checked. */
export type OpenAIPolicies = ResolvedBudgetPolicies<string, string>

/** What a call becomes under the policies. */
export interface PolicyOutcome {
  /** The model to write into the body (a downgrade), else `undefined`. */
  model: string | undefined
  /** Messages to write into the body (compression), else `undefined`. */
  messages: Record<string, unknown>[] | undefined
}

/**
 * Validates `withBudget`'s `compression`, `downgrade`, `onCompressed` and `onDowngraded` options;
 * `undefined` when none is set.
 *
 * @example
 * resolveOpenAIPolicies({ downgrade: [{ atUsage: 0.9, model: 'gpt-4o-mini' }] })
 */
export function resolveOpenAIPolicies(options: {
  compression?: true | OpenAICompressionOptions
  downgrade?: readonly DowngradeLevel<string>[]
  onCompressed?: (event: CompressionEvent) => void
  onDowngraded?: (event: DowngradeEvent) => void
}): OpenAIPolicies | undefined {
  if (options.compression == null && options.downgrade === undefined) return undefined
  return resolveBudgetPolicies(options, {
    prefix: 'options.',
    isModel: isModelId,
    isSummarizer: isModelId,
    summarizerKind: 'a model id',
  })
}

/**
 * Applies the policies to one request before it is reserved: reads the context's usage (one
 * `budget.status`), picks a cheaper model (chat and responses) and fits chat `messages` to the
 * compression level's target, summarizing with `summaryClient()` (a budgeted client without policies).
 *
 * @example
 * const outcome = await applyBudgetPolicies(policies, { budget, context, endpoint: 'chat', body, summaryClient })
 */
export async function applyBudgetPolicies(
  policies: OpenAIPolicies,
  {
    budget,
    context,
    endpoint,
    body,
    summaryClient,
  }: {
    budget: Budget
    context: BudgetContext
    endpoint: Endpoint
    body: Record<string, unknown>
    summaryClient: () => OpenAI
  },
): Promise<PolicyOutcome> {
  const outcome: PolicyOutcome = { model: undefined, messages: undefined }
  if (endpoint === 'embeddings') return outcome
  const requested = typeof body.model === 'string' && body.model.length > 0 ? body.model : undefined
  const usage = usageLevel(
    await budget.status(context, requested === undefined ? undefined : { model: requested }),
  )
  const level = chooseDowngrade(policies.downgrade, usage)
  if (level !== undefined && level.model !== requested) {
    outcome.model = level.model
    reportPolicyEvent(
      budget,
      'downgraded',
      { context, from: requested, to: level.model, usage, atUsage: level.atUsage },
      policies.onDowngraded,
    )
  }
  if (policies.compression === undefined || endpoint !== 'chat') return outcome
  const { summarizer: summaryModel } = policies
  const maxTokens = policies.compression.summaryMaxTokens
  const compressed = await compressChatMessages({
    body,
    usage,
    options: policies.compression,
    estimator: budget.estimator,
    summarize:
      summaryModel === undefined
        ? undefined
        : (entries) => summarizeWith(summaryClient(), summaryModel, maxTokens, entries),
  })
  if (compressed === undefined) return outcome
  outcome.messages = compressed.messages
  reportPolicyEvent(
    budget,
    'compressed',
    compressionEvent(compressed.plan, {
      context,
      model: outcome.model ?? requested,
      summaryModel: compressed.plan.summarized.length > 0 ? summaryModel : undefined,
      summaryError: compressed.summaryError,
    }),
    policies.onCompressed,
  )
  return outcome
}

async function summarizeWith(
  client: OpenAI,
  model: string,
  maxTokens: number,
  entries: TranscriptEntry[],
): Promise<string> {
  const completion = await client.chat.completions.create({
    model,
    messages: [
      { role: 'system', content: summaryInstructions },
      { role: 'user', content: summaryTranscript(entries) },
    ],
    max_completion_tokens: maxTokens,
  })
  return completion.choices[0]?.message.content ?? ''
}

function isModelId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0
}
