import type { ModelRequest } from '@openai/agents'
import type { BudgetContext } from '@tokenwarden/core'
import type { BudgetAdapterOptions } from '@tokenwarden/core/adapter'

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
export interface BudgetModelOptions extends BudgetAdapterOptions<ModelCallContext> {
  /**
   * Who the calls are for. The running agent's name is added as `agent`; a run's own ids come from
   * `withBudgetContext({ thread }, () => run(…))`, which overrides both.
   * @default {}
   */
  context?: ModelCallContext
}
