import type { ModelRequest } from '@openai/agents'
import type { Budget, BudgetContext, BudgetExceededError } from '@tokenwarden/core'

/**
 * Who a model call is for: a static context, or a function of the call (the running agent's name and
 * the SDK's request; may be async). The running agent's name is the `agent` scope unless this sets one.
 *
 * @example
 * const context: ModelCallContext = ({ agent }) => ({ task: agent === 'writer' ? 'draft' : 'research' })
 */
export type ModelCallContext =
  | BudgetContext
  | ((call: {
      agent: string | undefined
      request: ModelRequest
    }) => BudgetContext | PromiseLike<BudgetContext>)

/** Options of `budgetModel` and `budgetModelProvider`. */
export interface BudgetModelOptions {
  /** The budget every model call is reserved against and settled to. */
  budget: Budget
  /**
   * Who the calls are for. The running agent's name is added as `agent`; a run's own ids come from
   * `withBudgetContext({ thread }, () => run(…))`, which overrides both.
   * @default {}
   */
  context?: ModelCallContext
  /** The model id used for prices and `model` limits. @default the model name given to the provider */
  modelId?: string
  /**
   * Output tokens reserved when the agent sets no `modelSettings.maxTokens`. Not sent: the provider
   * keeps its own default unless `clamp` is on.
   * @default budget.defaultMaxOutputTokens
   */
  defaultMaxOutputTokens?: number
  /** Lower a call's `maxTokens` to what the budget affords instead of refusing it. @default false */
  clamp?: boolean | { minOutputTokens?: number }
  /** Show the context's pending budget warnings to the model, after the agent's instructions. @default true */
  injectWarnings?: boolean
  /** Also show a one-line budget status on every call. @default false */
  injectStatus?: boolean
  /**
   * When the budget cannot afford a call (nothing is sent): `throw` a `BudgetExceededError` (it rejects
   * `run()` as it is), or `finish` the run with an assistant message of `exceededText`.
   * @default 'throw'
   */
  onExceeded?: 'throw' | 'finish'
  /** The text of a call ended with `onExceeded: 'finish'`. @default the error's message */
  exceededText?: (error: BudgetExceededError) => string
  /** End a streamed response once its counted output passes the reserved output. @default false */
  stopStreamsAtReservation?: boolean
  /** A call without progress for this long is settled from its estimate (a stream is aborted). @default 60_000 */
  stallMs?: number
}
