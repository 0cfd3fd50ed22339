import type { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import type { BudgetAdapterOptions, ResolvedAdapterOptions } from './budget-adapter-options.ts'

/**
 * Throws `BudgetValidationError` naming the first bad option of the vocabulary every adapter shares:
 * `budget`, `context` (an object, or a function where the adapter allows one), `modelId`,
 * `defaultMaxOutputTokens`, `clamp` (and its `minOutputTokens`), `injectWarnings`, `injectStatus`,
 * `stopStreamsAtReservation`, `onExceeded` (one of `modes`), `exceededText`, `stallMs`. Options
 * an adapter does not have are `undefined` and pass. Returns the options with their defaults filled in
 * (the one place those defaults are written).
 *
 * @example
 * import { validateAdapterOptions } from '@tokenwarden/core/adapter'
 * const { budget, clamp, injectWarnings, onExceeded, exceededText } = validateAdapterOptions(options)
 */
export function validateAdapterOptions<Context>(
  options: BudgetAdapterOptions<Context>,
  settings?: AdapterOptionsSettings,
): ResolvedAdapterOptions<Context>
export function validateAdapterOptions(
  options: unknown,
  settings?: AdapterOptionsSettings,
): ResolvedAdapterOptions<unknown>
export function validateAdapterOptions(
  options: unknown,
  { modes = ['throw', 'finish'], contextFunction = false }: AdapterOptionsSettings = {},
): ResolvedAdapterOptions<unknown> {
  if (options === null || typeof options !== 'object') invalid('options', options, 'expected { budget, … }')
  const { budget, context, modelId, defaultMaxOutputTokens, clamp, onExceeded, exceededText, stallMs } =
    options as Record<string, unknown>
  const { reserve, estimator } = (budget ?? {}) as { reserve?: unknown; estimator?: { count?: unknown } }
  if (typeof reserve !== 'function' || typeof estimator?.count !== 'function')
    invalid('budget', budget, 'expected a budget from createBudget()')
  if (context !== undefined && !(contextFunction && typeof context === 'function'))
    if (context === null || typeof context !== 'object' || Array.isArray(context))
      invalid(
        'context',
        context,
        contextFunction ? 'expected an object or a function' : 'expected an object of scope ids',
      )
  if (modelId !== undefined && (typeof modelId !== 'string' || modelId.length === 0))
    invalid('modelId', modelId, 'expected a non-empty string')
  if (
    defaultMaxOutputTokens !== undefined &&
    !(Number.isInteger(defaultMaxOutputTokens) && (defaultMaxOutputTokens as number) >= 1)
  )
    invalid('defaultMaxOutputTokens', defaultMaxOutputTokens, 'expected a whole number ≥ 1')
  if (
    stallMs !== undefined &&
    !(typeof stallMs === 'number' && stallMs > 0 && stallMs < Number.POSITIVE_INFINITY)
  )
    invalid('stallMs', stallMs, 'expected a duration > 0 ms')
  if (clamp !== undefined && typeof clamp !== 'boolean' && (clamp === null || typeof clamp !== 'object'))
    invalid('clamp', clamp, 'expected a boolean or { minOutputTokens }')
  const minOutputTokens = (clamp as { minOutputTokens?: unknown } | undefined)?.minOutputTokens
  if (
    minOutputTokens !== undefined &&
    !(Number.isInteger(minOutputTokens) && (minOutputTokens as number) >= 1)
  )
    invalid('clamp.minOutputTokens', minOutputTokens, 'expected a whole number ≥ 1')
  for (const flag of ['injectWarnings', 'injectStatus', 'stopStreamsAtReservation']) {
    const value = (options as Record<string, unknown>)[flag]
    if (value !== undefined && typeof value !== 'boolean') invalid(flag, value, 'expected a boolean')
  }
  if (onExceeded !== undefined && !modes.includes(onExceeded as string))
    invalid('onExceeded', onExceeded, `expected ${modes.map((mode) => `'${mode}'`).join(' or ')}`)
  if (exceededText !== undefined && typeof exceededText !== 'function')
    invalid('exceededText', exceededText, 'expected a function')
  const given = options as BudgetAdapterOptions<unknown>
  const resolved = {
    budget: given.budget,
    context: given.context ?? {},
    modelId: given.modelId,
    defaultMaxOutputTokens: given.defaultMaxOutputTokens,
    clamp: given.clamp ?? false,
    injectWarnings: given.injectWarnings ?? true,
    injectStatus: given.injectStatus ?? false,
    onExceeded: given.onExceeded ?? 'throw',
    exceededText: given.exceededText ?? messageOf,
    stopStreamsAtReservation: given.stopStreamsAtReservation ?? false,
    stallMs: given.stallMs,
  }
  const callOptions = {
    defaultMaxOutputTokens: resolved.defaultMaxOutputTokens,
    clamp: resolved.clamp,
    warnings: resolved.injectWarnings,
    status: resolved.injectStatus,
    stallMs: resolved.stallMs,
    stopAtReservation: resolved.stopStreamsAtReservation,
  }
  return { ...resolved, callOptions }
}

/**
 * What an adapter's vocabulary allows, for {@link validateAdapterOptions}.
 *
 * @example
 * const settings: AdapterOptionsSettings = { modes: ['throw', 'finish'], contextFunction: true }
 */
export interface AdapterOptionsSettings {
  /** The `onExceeded` values the adapter has. @default ['throw', 'finish'] */
  modes?: readonly string[]
  /** Whether `context` may be a function of the call. @default false */
  contextFunction?: boolean
}

function messageOf(error: BudgetExceededError): string {
  return error.message
}

function invalid(field: string, value: unknown, reason: string): never {
  throw new BudgetValidationError({ field, value, reason })
}
