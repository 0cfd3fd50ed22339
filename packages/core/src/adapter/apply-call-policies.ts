import type { Budget } from '../budget/budget.ts'
import type { BudgetContext } from '../budget/budget-context.ts'
import { chooseDowngrade } from '../policies/downgrade-options.ts'
import { type CompressionEvent, compressionEvent, type DowngradeEvent } from '../policies/policy-events.ts'
import { reportPolicyEvent } from '../policies/report-policy-event.ts'
import type { ResolvedBudgetPolicies } from '../policies/resolve-budget-policies.ts'
import { usageLevel } from '../policies/usage-level.ts'
import {
  compressCallInput,
  type MessageEdit,
  type PolicyInput,
  type SummaryRequest,
} from './compress-call-input.ts'

/**
 * One call as {@link applyCallPolicies} sees it: who it is for, the model it would use, and its input
 * in neutral form.
 *
 * @example
 * const request: CallPolicyRequest<LanguageModelV4> = { context, modelId: 'gpt-4o', model, modelIdOf: (m) => m.modelId, input }
 */
export interface CallPolicyRequest<Model> {
  /** Who the call is for (the usage level is read for this context). */
  context: BudgetContext
  /** The model id the call would be reserved and charged under. */
  modelId: string | undefined
  /** The model the call would use (a downgrade level with this very model changes nothing). */
  model?: Model
  /** The id of a downgrade level's model. @default the model itself when it is a string */
  modelIdOf?: (model: Model) => string | undefined
  /**
   * The call's input with roles (what compression fits to the level's target); without it only the
   * downgrade applies (e.g. an endpoint whose input is not a conversation).
   */
  input?: PolicyInput
  /**
   * Makes the summary call with the adapter's summarizer model, through the same budget and context
   * (a budgeted framework call); without it the `summarize` strategy is skipped. A throw (e.g. the
   * budget refused it) drops the turns instead and is reported as the event's `summaryError`.
   */
  summarize?: (request: SummaryRequest) => Promise<string>
  /** The summarizer's model id, for the compression event. */
  summaryModelId?: string
}

/**
 * What a call becomes under the policies. The adapter applies it to its own request: calls
 * `downgrade.model` instead of its model, applies `compression.edits[i]` to its i-th message and
 * inserts `compression.summary` as a system message after the leading ones (or appends it to its system
 * message). Both events have already been emitted.
 *
 * @example
 * if (outcome.downgrade !== undefined) model = outcome.downgrade.model
 */
export interface CallPolicyOutcome<Model> {
  /** The context's usage (0…1 and above); 0 when no policy is set (nothing was read). */
  usage: number
  /** The model id to reserve and charge the call under (the downgrade's when there is one). */
  modelId: string | undefined
  /** The cheaper model to call, and the id it replaces. */
  downgrade: { model: Model; from: string | undefined; event: DowngradeEvent } | undefined
  /** How the input was fitted to the level's target; `undefined` when it is sent as it is. */
  compression:
    | {
        /** `edits[i]` is what happens to `input.messages[i]`. */
        edits: readonly MessageEdit[]
        /** The text of the system message that replaces the summarized turns; `undefined` without one. */
        summary: string | undefined
        event: CompressionEvent
      }
    | undefined
}

/**
 * The compression and downgrade lifecycle of one call, for every adapter: reads the context's usage
 * (one `budget.status`), picks the downgrade level's model and emits `downgraded`, fits the input to the
 * compression level's target (sizes by `estimateCallInput`'s rules; drops low-signal or oldest turns,
 * truncates tool results, summarizes older turns with `summarize`) and emits `compressed`. Events go to
 * the budget's listeners and the policies' `onDowngraded`/`onCompressed`. With neither policy set it
 * reads nothing and changes nothing.
 *
 * @example
 * import { resolveBudgetPolicies } from '@tokenwarden/core'
 * import { applyCallPolicies } from '@tokenwarden/core/adapter'
 *
 * const policies = resolveBudgetPolicies(options, { prefix: '', isModel, isSummarizer: isModel, summarizerKind: 'a model' })
 * const outcome = await applyCallPolicies(budget, policies, {
 *   context: { thread: 't-1' },
 *   modelId: 'gpt-4o',
 *   input: { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: question }] },
 *   summarize: async ({ instructions, prompt, maxOutputTokens }) => callSummarizer(instructions, prompt, maxOutputTokens),
 *   summaryModelId: 'gpt-4o-mini',
 * })
 * // outcome.modelId, outcome.downgrade?.model, outcome.compression?.edits, outcome.compression?.summary
 */
export async function applyCallPolicies<Model>(
  budget: Budget,
  policies: Pick<
    ResolvedBudgetPolicies<Model, unknown>,
    'compression' | 'downgrade' | 'onCompressed' | 'onDowngraded'
  >,
  request: CallPolicyRequest<Model>,
): Promise<CallPolicyOutcome<Model>> {
  const { context, modelId, input } = request
  const outcome: CallPolicyOutcome<Model> = {
    usage: 0,
    modelId,
    downgrade: undefined,
    compression: undefined,
  }
  const compression = input === undefined ? undefined : policies.compression
  if (compression === undefined && policies.downgrade === undefined) return outcome
  const usage = usageLevel(
    await budget.status(context, modelId === undefined ? undefined : { model: modelId }),
  )
  outcome.usage = usage

  const level = chooseDowngrade(policies.downgrade, usage)
  if (level !== undefined && level.model !== request.model) {
    const to = request.modelIdOf === undefined ? idOf(level.model) : request.modelIdOf(level.model)
    if (to === undefined || to !== modelId) {
      const event: DowngradeEvent = { context, from: modelId, to, usage, atUsage: level.atUsage }
      outcome.modelId = to
      outcome.downgrade = { model: level.model, from: modelId, event }
      reportPolicyEvent(budget, 'downgraded', event, policies.onDowngraded)
    }
  }

  if (compression === undefined || input === undefined) return outcome
  const compressed = await compressCallInput(input, {
    options: compression,
    usage,
    estimator: budget.estimator,
    summarize: request.summarize,
  })
  if (compressed === undefined) return outcome
  const event = compressionEvent(compressed.plan, {
    context,
    model: outcome.modelId,
    summaryModel: compressed.plan.summarized.length > 0 ? request.summaryModelId : undefined,
    summaryError: compressed.summaryError,
  })
  outcome.compression = { edits: compressed.edits, summary: compressed.summary, event }
  reportPolicyEvent(budget, 'compressed', event, policies.onCompressed)
  return outcome
}

function idOf(model: unknown): string | undefined {
  return typeof model === 'string' ? model : undefined
}
