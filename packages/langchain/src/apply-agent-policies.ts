import { type BaseMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages'
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
  type PolicyInput,
  type SummaryRequest,
  startBudgetCall,
} from '@tokenwarden/core/adapter'
import type { ModelRequest } from 'langchain'
import { clampModelOutput } from './clamp-model-output.ts'
import { callModelName } from './read-call-options.ts'
import { reportedUsageOfMessage } from './reported-usage-of-message.ts'
import { messageText, toCallInput } from './to-call-input.ts'

type Model = ModelRequest['model']

/** A chat model that can write a summary. */
export interface SummarizerModel {
  invoke(messages: BaseMessage[]): Promise<unknown>
}

/** Budget-driven compression of the agent middleware, with the chat model that writes summaries. */
export interface LangChainCompressionOptions extends CompressionOptions {
  /** Summarizes older turns (`summarize` strategy), reserved and settled on the same budget and context. */
  summarizer?: SummarizerModel
}

/** The middleware's compression and downgrade options, checked. */
export type AgentPolicies = ResolvedBudgetPolicies<Model, SummarizerModel>

/**
 * Validates the `compression`, `downgrade`, `onCompressed` and `onDowngraded` options; `undefined` when
 * neither policy is set.
 *
 * @example
 * resolveAgentPolicies({ downgrade: [{ atUsage: 0.9, model: new ChatOpenAI({ model: 'gpt-4o-mini' }) }] })
 */
export function resolveAgentPolicies(
  options: BudgetPolicyOptions<Model, SummarizerModel>,
): AgentPolicies | undefined {
  if (options.compression == null && options.downgrade === undefined) return undefined
  const isModel = (value: unknown): value is Model =>
    typeof (value as { invoke?: unknown } | null)?.invoke === 'function'
  return resolveBudgetPolicies(options, {
    prefix: '',
    isModel,
    isSummarizer: isModel,
    summarizerKind: 'a chat model',
  })
}

/**
 * Runs the core's `applyCallPolicies` on one agent model request and applies its outcome to the
 * request: the downgrade's model, the kept and truncated messages, the summary appended to the system
 * message. `input` is the request's neutral input (the system message first when it has text).
 *
 * @example
 * const applied = await applyAgentPolicies(budget, policies, { context, request, input, modelId: 'gpt-4o' })
 */
export async function applyAgentPolicies(
  budget: Budget,
  policies: AgentPolicies,
  {
    context,
    request,
    input,
    modelId,
  }: { context: BudgetContext; request: ModelRequest; input: PolicyInput; modelId: string | undefined },
): Promise<{ request: ModelRequest; modelId: string | undefined; downgradedFrom: string | undefined }> {
  const { summarizer } = policies
  const outcome = await applyCallPolicies(budget, policies, {
    context,
    modelId,
    model: request.model,
    modelIdOf: callModelName,
    input,
    summaryModelId: summarizer === undefined ? undefined : callModelName(summarizer),
    summarize: summarizer === undefined ? undefined : summarizeWith(budget, context, summarizer),
  })
  let next = request
  if (outcome.downgrade !== undefined) next = { ...next, model: outcome.downgrade.model }
  if (outcome.compression !== undefined) {
    const { edits, summary } = outcome.compression
    const offset = input.messages.length - request.messages.length // the system message leads the input
    const messages = applyMessageEdits(request.messages, edits, truncated, offset)
    next = { ...next, messages }
    if (summary !== undefined) next.systemMessage = appendSystemText(next.systemMessage, summary)
  }
  return { request: next, modelId: outcome.modelId, downgradedFrom: outcome.downgrade?.from }
}

/**
 * The system message with `text` appended (a new one when it had no text).
 *
 * @example
 * appendSystemText(request.systemMessage, call.notice)
 */
export function appendSystemText(systemMessage: SystemMessage, text: string): SystemMessage {
  if (systemMessage.text.length === 0) return new SystemMessage(text)
  return systemMessage.concat(`\n\n${text}`)
}

/** A tool message with its result's new text (a tool message has one result). */
function truncated(message: BaseMessage, [text]: readonly string[]): BaseMessage | undefined {
  return ToolMessage.isInstance(message) ? new ToolMessage({ ...message, content: text ?? '' }) : undefined
}

/** The summary call: the summarizer's invoke translated into one budget call on the same context. */
function summarizeWith(budget: Budget, context: BudgetContext, summarizer: SummarizerModel) {
  const modelId = callModelName(summarizer)
  return async ({ instructions, prompt, maxOutputTokens }: SummaryRequest): Promise<string> => {
    const messages = [new SystemMessage(instructions), new HumanMessage(prompt)]
    const input = toCallInput(messages)
    const call = await startBudgetCall(budget, {
      context,
      model: modelId,
      input,
      maxOutputTokens,
      warnings: false,
    })
    try {
      call.markSent()
      const response = await (clampModelOutput(summarizer, maxOutputTokens) ?? summarizer).invoke(messages)
      const text = messageText(response)
      await call.finish(reportedUsageOfMessage(response), {
        outputTokens: () => budget.estimator.count(text),
      })
      return text
    } finally {
      await call.close()
    }
  }
}
