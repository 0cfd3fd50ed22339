import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { selectLevel } from './select-level.ts'

/**
 * A usage level from which calls go to a cheaper model. `Model` is what the adapter calls: a model id
 * (openai), a `LanguageModel` (ai-sdk) or a chat model (langchain).
 *
 * @example
 * const levels: DowngradeLevel<string>[] = [{ atUsage: 0.9, model: 'gpt-4o-mini' }]
 */
export interface DowngradeLevel<Model> {
  /** The share of the budget (0…1, the highest of the context's limits) from which this model is used. */
  atUsage: number
  model: Model
}

/**
 * Validates downgrade levels, throwing `BudgetValidationError` naming the bad field under `field`
 * (e.g. `downgrade[0].atUsage`), and returns them sorted by `atUsage`.
 *
 * @example
 * const levels = validateDowngradeLevels([{ atUsage: 0.9, model: 'gpt-4o-mini' }], 'downgrade', (model) => typeof model === 'string')
 */
export function validateDowngradeLevels<Model>(
  levels: readonly DowngradeLevel<Model>[],
  field: string,
  isModel: (model: unknown) => boolean,
): DowngradeLevel<Model>[] {
  if (!Array.isArray(levels) || levels.length === 0) {
    throw new BudgetValidationError({
      field,
      value: levels,
      reason: 'expected a non-empty array of { atUsage, model }',
    })
  }
  levels.forEach((level, index) => {
    if (level === null || typeof level !== 'object') {
      throw new BudgetValidationError({
        field: `${field}[${index}]`,
        value: level,
        reason: 'expected { atUsage, model }',
      })
    }
    if (typeof level.atUsage !== 'number' || !(level.atUsage > 0) || level.atUsage > 1) {
      throw new BudgetValidationError({
        field: `${field}[${index}].atUsage`,
        value: level.atUsage,
        reason: 'expected a number in (0, 1]',
      })
    }
    if (!isModel(level.model)) {
      throw new BudgetValidationError({
        field: `${field}[${index}].model`,
        value: level.model,
        reason: 'expected a model',
      })
    }
  })
  return [...levels].sort((a, b) => a.atUsage - b.atUsage)
}

/**
 * The model a call should use at this usage: the model of the highest level reached, or `undefined`
 * (keep the caller's model).
 *
 * @example
 * chooseDowngrade([{ atUsage: 0.9, model: 'gpt-4o-mini' }], 0.95) // { atUsage: 0.9, model: 'gpt-4o-mini' }
 */
export function chooseDowngrade<Model>(
  levels: readonly DowngradeLevel<Model>[] | undefined,
  usage: number,
): DowngradeLevel<Model> | undefined {
  return levels === undefined ? undefined : selectLevel(levels, usage)
}
