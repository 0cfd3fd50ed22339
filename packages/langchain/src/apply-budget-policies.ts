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
import { estimateCallInput } from '@tokenwarden/core/adapter'
import type { ModelRequest } from 'langchain'
import { compressMessages, withSummary } from './compress-messages.ts'
import { type SummarizerModel, summarizeWithModel } from './summarize-with-model.ts'
import { toCallInput } from './to-call-input.ts'

type Model = ModelRequest['model']

/** Budget-driven compression of the middleware, with the chat model that writes summaries. */
export interface LangChainCompressionOptions extends CompressionOptions {
  /**
   * The chat model that summarizes older turns (`summarize` strategy); its calls are reserved and
   * settled on the same budget and context. Without it, `summarize` is skipped.
   */
  summarizer?: SummarizerModel
}

/** The compression and downgrade options of the middleware, checked. */
export type LangChainPolicies = ResolvedBudgetPolicies<Model, SummarizerModel>

/**
 * Validates the middleware's `compression`, `downgrade`, `onCompressed` and `onDowngraded` options;
 * `undefined` when neither policy is set.
 *
 * @example
 * resolveLangChainPolicies({ downgrade: [{ atUsage: 0.9, model: new ChatOpenAI({ model: 'gpt-4o-mini' }) }] })
 */
export function resolveLangChainPolicies(options: {
  compression?: true | LangChainCompressionOptions
  downgrade?: readonly DowngradeLevel<Model>[]
  onCompressed?: (event: CompressionEvent) => void
  onDowngraded?: (event: DowngradeEvent) => void
}): LangChainPolicies | undefined {
  if (options.compression == null && options.downgrade === undefined) return undefined
  return resolveBudgetPolicies(options, {
    prefix: '',
    isModel: isChatModel,
    isSummarizer: isChatModel,
    summarizerKind: 'a chat model',
  })
}

/**
 * Applies the policies to one model request before it is reserved: reads the context's usage (one
 * `budget.status`), swaps in a cheaper model at a downgrade level, and fits the messages to the
 * compression level's target (summary calls are budgeted). Returns the request to send, the model name
 * to charge, and the name it replaced.
 *
 * @example
 * const { request: next, modelName } = await applyBudgetPolicies(policies, { budget, context, request, modelName: 'gpt-4o', nameOf })
 */
export async function applyBudgetPolicies(
  policies: LangChainPolicies,
  {
    budget,
    context,
    request,
    modelName,
    nameOf,
  }: {
    budget: Budget
    context: BudgetContext
    request: ModelRequest
    modelName: string | undefined
    nameOf: (model: unknown) => string | undefined
  },
): Promise<{ request: ModelRequest; modelName: string | undefined; downgradedFrom: string | undefined }> {
  const usage = usageLevel(await budget.status(context, { model: modelName }))
  let next = request
  let charged = modelName
  let downgradedFrom: string | undefined
  const level = chooseDowngrade(policies.downgrade, usage)
  if (level !== undefined && level.model !== request.model) {
    next = { ...next, model: level.model }
    charged = nameOf(level.model)
    downgradedFrom = modelName
    reportPolicyEvent(
      budget,
      'downgraded',
      { context, from: modelName, to: charged, usage, atUsage: level.atUsage },
      policies.onDowngraded,
    )
  }
  if (policies.compression === undefined) return { request: next, modelName: charged, downgradedFrom }
  const { summarizer } = policies
  const summaryModel = summarizer === undefined ? undefined : nameOf(summarizer)
  const compressed = await compressMessages({
    messages: next.messages,
    fixedTokens: estimateCallInput(toCallInput([next.systemMessage], next.tools), budget.estimator),
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
            modelName: summaryModel,
            maxOutputTokens: policies.compression.summaryMaxTokens,
          }),
  })
  if (compressed !== undefined) {
    next = {
      ...next,
      messages: compressed.messages,
      systemMessage: withSummary(next.systemMessage, compressed.summaryText),
    }
    reportPolicyEvent(
      budget,
      'compressed',
      compressionEvent(compressed.plan, {
        context,
        model: charged,
        summaryModel: compressed.plan.summarized.length > 0 ? summaryModel : undefined,
        summaryError: compressed.summaryError,
      }),
      policies.onCompressed,
    )
  }
  return { request: next, modelName: charged, downgradedFrom }
}

function isChatModel(value: unknown): value is Model {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { invoke?: unknown }).invoke === 'function'
  )
}
