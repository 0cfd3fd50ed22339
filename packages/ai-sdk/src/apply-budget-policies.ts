import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4Prompt } from '@ai-sdk/provider'
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
  usageLevel,
} from '@tokenwarden/core'
import { compressPrompt } from './compress-prompt.ts'
import { summarizeWithModel } from './summarize-with-model.ts'

/** Budget-driven compression of the middleware, with the model that writes summaries. */
export interface BudgetCompressionOptions extends CompressionOptions {
  /**
   * The model that summarizes older turns (`summarize` strategy); its calls go through the same budget
   * and context. Without it, `summarize` is skipped.
   */
  summarizer?: LanguageModelV4
}

/** The compression and downgrade options of the middleware, checked. */
export type BudgetPolicies = ResolvedBudgetPolicies<LanguageModelV4, LanguageModelV4>

/** What a call becomes under the policies. */
export interface PolicyOutcome {
  prompt: LanguageModelV4Prompt
  /** The cheaper model to call instead of the wrapped one. */
  model: LanguageModelV4 | undefined
  /** The model id the call is reserved and settled under. */
  modelId: string
  downgradedFrom: string | undefined
}

/**
 * Validates the middleware's `compression`, `downgrade`, `onCompressed` and `onDowngraded` options.
 *
 * @example
 * const policies = resolveMiddlewarePolicies({ compression: true, downgrade: [{ atUsage: 0.9, model: mini }] })
 */
export function resolveMiddlewarePolicies(options: {
  compression?: true | BudgetCompressionOptions
  downgrade?: readonly DowngradeLevel<LanguageModelV4>[]
  onCompressed?: (event: CompressionEvent) => void
  onDowngraded?: (event: DowngradeEvent) => void
}): BudgetPolicies {
  return resolveBudgetPolicies(options, {
    prefix: '',
    isModel: isLanguageModel,
    isSummarizer: isLanguageModel,
    summarizerKind: 'a LanguageModelV4',
  })
}

/**
 * Applies the policies to one call: reads the context's usage (one `budget.status`), picks a cheaper
 * model at a downgrade level, and fits the prompt to the compression level's target (summary calls
 * are budgeted). Reports both through the `on…` callbacks.
 *
 * @example
 * const outcome = await applyBudgetPolicies(policies, { budget, context, params, modelId: 'gpt-4o' })
 */
export async function applyBudgetPolicies(
  policies: BudgetPolicies,
  {
    budget,
    context,
    params,
    modelId,
  }: { budget: Budget; context: BudgetContext; params: LanguageModelV4CallOptions; modelId: string },
): Promise<PolicyOutcome> {
  const outcome: PolicyOutcome = {
    prompt: params.prompt,
    model: undefined,
    modelId,
    downgradedFrom: undefined,
  }
  if (policies.compression === undefined && policies.downgrade === undefined) return outcome
  const usage = usageLevel(await budget.status(context, { model: modelId }))
  const level = chooseDowngrade(policies.downgrade, usage)
  if (level !== undefined && level.model.modelId !== modelId) {
    outcome.model = level.model
    outcome.modelId = level.model.modelId
    outcome.downgradedFrom = modelId
    reportPolicyEvent(
      budget,
      'downgraded',
      {
        context,
        from: modelId,
        to: level.model.modelId,
        usage,
        atUsage: level.atUsage,
      },
      policies.onDowngraded,
    )
  }
  if (policies.compression === undefined) return outcome
  const { summarizer } = policies
  const compressed = await compressPrompt({
    params,
    usage,
    options: policies.compression,
    estimator: budget.estimator,
    summarize:
      summarizer === undefined
        ? undefined
        : summarizeWithModel({
            budget,
            context,
            summarizer,
            maxOutputTokens: policies.compression.summaryMaxTokens,
            abortSignal: params.abortSignal,
          }),
  })
  if (compressed === undefined) return outcome
  outcome.prompt = compressed.prompt
  reportPolicyEvent(
    budget,
    'compressed',
    compressionEvent(compressed.plan, {
      context,
      model: outcome.modelId,
      summaryModel: compressed.plan.summarized.length > 0 ? summarizer?.modelId : undefined,
      summaryError: compressed.summaryError,
    }),
    policies.onCompressed,
  )
  return outcome
}

function isLanguageModel(value: unknown): value is LanguageModelV4 {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as LanguageModelV4).doGenerate === 'function' &&
    typeof (value as LanguageModelV4).modelId === 'string'
  )
}
