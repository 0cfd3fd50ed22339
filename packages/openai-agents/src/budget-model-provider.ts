import { getDefaultModel, type Model, type ModelProvider } from '@openai/agents'
import { validateAdapterOptions } from '@tokenwarden/core/adapter'
import { type BudgetModelOptions, wrapModel } from './budget-model.ts'

/**
 * Wraps an Agents SDK `ModelProvider` (e.g. `OpenAIProvider`) so that every model it resolves is
 * budgeted as by `budgetModel`, priced under the model name the agent asked for (or `modelId`). Pass it
 * as a `Runner`'s `modelProvider`: every agent of its runs (handoffs, agents as tools) is budgeted,
 * each call under the running agent's name as `agent` scope.
 *
 * @example
 * import { Agent, OpenAIProvider, Runner } from '@openai/agents'
 * import { createBudget } from '@tokenwarden/core'
 * import { budgetModelProvider, withBudgetContext } from '@tokenwarden/openai-agents'
 *
 * const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
 * const runner = new Runner({ modelProvider: budgetModelProvider(new OpenAIProvider(), { budget }) })
 * const result = await withBudgetContext({ thread: 't-1' }, () => runner.run(agent, 'Hi'))
 */
export function budgetModelProvider(provider: ModelProvider, options: BudgetModelOptions): ModelProvider {
  const resolved = validateAdapterOptions(options, { contextFunction: true })
  // One wrapper per model and name, so a provider's cached model stays one budgeted model.
  const wrapped = new WeakMap<Model, Map<string | undefined, Model>>()
  const wrap = (model: Model, name: string | undefined): Model => {
    const byName = wrapped.get(model) ?? new Map<string | undefined, Model>()
    wrapped.set(model, byName)
    // an agent without a model asks for '' (the SDK's placeholder): the provider's default, as OpenAIProvider's
    const budgeted =
      byName.get(name) ?? wrapModel(model, resolved, resolved.modelId ?? (name || getDefaultModel()))
    byName.set(name, budgeted)
    return budgeted
  }
  return {
    getModel(modelName) {
      const model = provider.getModel(modelName)
      return model instanceof Promise
        ? model.then((resolved) => wrap(resolved, modelName))
        : wrap(model, modelName)
    },
  }
}
