import type { Budget, BudgetContext, ResolvedBudgetPolicies } from '@tokenwarden/core'
import { applyCallPolicies, applyMessageEdits, type PolicyInput } from '@tokenwarden/core/adapter'
import type OpenAI from 'openai'
import { injectNotice } from './inject-notice.ts'
import { type Endpoint, toCallInput } from './to-call-input.ts'

/** The compression and downgrade settings of a budgeted client (models and summarizer are model ids). */
export type OpenAIPolicies = ResolvedBudgetPolicies<string, string>

/**
 * Applies compression (chat) and downgrade (chat, responses) to a request's parsed JSON with the core's
 * `applyCallPolicies`: writes the cheaper `model`, and the fitted `messages` (tool results truncated,
 * older turns dropped or replaced by a summary after the leading system messages). The summary is a
 * chat call through `summaryClient()`, a budgeted client without policies. Returns the model id to
 * reserve under and whether the JSON changed.
 *
 * @example
 * const { modelId, edited } = await applyRequestPolicies(budget, policies, { context, endpoint, json, modelId, summaryClient })
 */
export async function applyRequestPolicies(
  budget: Budget,
  policies: OpenAIPolicies,
  request: {
    context: BudgetContext
    endpoint: Endpoint
    json: Record<string, any>
    modelId: string | undefined
    summaryClient: () => OpenAI
  },
): Promise<{ modelId: string | undefined; edited: boolean }> {
  const { context, endpoint, json, modelId, summaryClient } = request
  if (endpoint === 'embeddings') return { modelId, edited: false }
  const summarizer = policies.summarizer
  const outcome = await applyCallPolicies(budget, policies, {
    context,
    modelId,
    model: typeof json.model === 'string' ? json.model : undefined,
    input: endpoint === 'chat' ? (toCallInput('chat', json) as PolicyInput) : undefined,
    summaryModelId: summarizer,
    summarize:
      summarizer === undefined
        ? undefined
        : async ({ instructions, prompt, maxOutputTokens }) => {
            const completion = await summaryClient().chat.completions.create({
              model: summarizer,
              messages: [
                { role: 'system', content: instructions },
                { role: 'user', content: prompt },
              ],
              max_completion_tokens: maxOutputTokens,
            })
            return completion.choices[0]?.message.content ?? ''
          },
  })
  if (outcome.downgrade !== undefined) json.model = outcome.downgrade.model
  if (outcome.compression !== undefined) {
    const { edits, summary } = outcome.compression
    // a tool message has one result
    json.messages = applyMessageEdits(json.messages as any[], edits, (message, [text]) => ({
      ...message,
      content: text ?? '',
    }))
    if (summary !== undefined) injectNotice('chat', json, summary)
  }
  return {
    modelId: outcome.modelId,
    edited: outcome.downgrade !== undefined || outcome.compression !== undefined,
  }
}
