import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4Prompt } from '@ai-sdk/provider'
import {
  type Budget,
  type BudgetContext,
  type BudgetPolicyOptions,
  type CompressionOptions,
  type ResolvedBudgetPolicies,
  resolveBudgetPolicies,
} from '@tokenwarden/core'
import {
  applyCallPolicies,
  applyMessageEdits,
  type MessageEdit,
  type PolicyInput,
} from '@tokenwarden/core/adapter'
import { generateText, wrapLanguageModel } from 'ai'
import { budgetMiddleware } from './budget-middleware.ts'
import { injectSystemMessage } from './inject-system-message.ts'

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

/**
 * Validates the middleware's `compression`, `downgrade`, `onCompressed` and `onDowngraded` options.
 *
 * @example
 * const policies = resolveMiddlewarePolicies({ compression: true, downgrade: [{ atUsage: 0.9, model: mini }] })
 */
export function resolveMiddlewarePolicies(
  options: BudgetPolicyOptions<LanguageModelV4, LanguageModelV4>,
): BudgetPolicies {
  return resolveBudgetPolicies(options, {
    prefix: '',
    isModel: isLanguageModel,
    isSummarizer: isLanguageModel,
    summarizerKind: 'a LanguageModelV4',
  })
}

/**
 * Translates the core's `applyCallPolicies` for one V4 call: the prompt with its edits and summary
 * applied, the model id to charge, and the cheaper model to call. The summary call is a `generateText`
 * through this middleware (same budget and context, no warnings).
 *
 * @example
 * const outcome = await applyMiddlewarePolicies(policies, { budget, context, params, model, modelId: 'gpt-4o', input })
 */
export async function applyMiddlewarePolicies(
  policies: BudgetPolicies,
  {
    budget,
    context,
    params,
    model,
    modelId,
    input,
  }: {
    budget: Budget
    context: BudgetContext
    params: LanguageModelV4CallOptions
    model: LanguageModelV4
    modelId: string
    input: PolicyInput
  },
): Promise<{
  prompt: LanguageModelV4Prompt
  modelId: string
  downgrade: { model: LanguageModelV4; from: string } | undefined
}> {
  const { summarizer } = policies
  const outcome = await applyCallPolicies(budget, policies, {
    context,
    modelId,
    model,
    modelIdOf: (level) => level.modelId,
    input,
    summaryModelId: summarizer?.modelId,
    summarize:
      summarizer === undefined
        ? undefined
        : async ({ instructions, prompt, maxOutputTokens }) => {
            const wrapped = wrapLanguageModel({
              model: summarizer,
              middleware: budgetMiddleware({ budget, context, injectWarnings: false }),
            })
            const options = { instructions, prompt, maxOutputTokens, maxRetries: 0 }
            return (await generateText({ model: wrapped, ...options, abortSignal: params.abortSignal })).text
          },
  })
  const { compression, downgrade } = outcome
  return {
    prompt:
      compression === undefined
        ? params.prompt
        : edited(params.prompt, compression.edits, compression.summary),
    modelId: outcome.modelId ?? modelId,
    downgrade: downgrade === undefined ? undefined : { model: downgrade.model, from: modelId },
  }
}

/** The prompt with the core's edits applied and the summary after the leading system messages. */
function edited(
  prompt: LanguageModelV4Prompt,
  edits: readonly MessageEdit[],
  summary: string | undefined,
): LanguageModelV4Prompt {
  const kept = applyMessageEdits(prompt, edits, truncated)
  return summary === undefined ? kept : injectSystemMessage(kept, summary)
}

/** A message with its tool results' texts replaced, in order (a text-only message as it is). */
function truncated(message: LanguageModelV4Prompt[number], toolResults: readonly string[]) {
  if (typeof message.content === 'string') return message
  let next = 0
  const content = message.content.map((part) => {
    if (part.type !== 'tool-result') return part
    const value = toolResults[next++] ?? ''
    const isError = part.output.type === 'error-text' || part.output.type === 'error-json'
    return { ...part, output: { type: isError ? ('error-text' as const) : ('text' as const), value } }
  })
  return { ...message, content } as LanguageModelV4Prompt[number]
}

function isLanguageModel(value: unknown): value is LanguageModelV4 {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as LanguageModelV4).doGenerate === 'function' &&
    typeof (value as LanguageModelV4).modelId === 'string'
  )
}
