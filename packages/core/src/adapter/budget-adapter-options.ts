import type { Budget } from '../budget/budget.ts'
import type { BudgetContext } from '../budget/budget-context.ts'
import type { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import type { BudgetCallOptions } from './start-budget-call.ts'

/**
 * The option vocabulary every adapter shares, with one meaning and one default each. An adapter's own
 * options interface extends it (`Pick` or `Omit` it when the framework lacks a concept) and adds only
 * what is its own; `Context` is what `context` accepts (a function of the call where the framework
 * allows one).
 *
 * @example
 * import type { BudgetAdapterOptions } from '@tokenwarden/core/adapter'
 * export interface WithBudgetOptions extends BudgetAdapterOptions {
 *   compression?: true | CompressionOptions
 * }
 */
export interface BudgetAdapterOptions<Context = BudgetContext> {
  /** The budget every call is reserved against and settled to. */
  budget: Budget
  /**
   * Who the calls are for (agent, thread, user, task, custom scopes); a call can add scopes the
   * adapter's own way (see its README).
   * @default {}
   */
  context?: Context
  /** The model id used for prices and `model` limits. @default the framework's model id for the call */
  modelId?: string
  /**
   * Output tokens reserved when a call sets no output limit. They are not sent: the provider keeps its
   * own default unless `clamp` is on (then the clamped amount is sent).
   * @default budget.defaultMaxOutputTokens
   */
  defaultMaxOutputTokens?: number
  /**
   * Lower a call's output limit to what the budget can still afford instead of refusing it (the clamped
   * limit is sent); refuses only when fewer than `minOutputTokens` (default 1) remain.
   * @default false
   */
  clamp?: boolean | { minOutputTokens?: number }
  /** Show the context's pending budget warnings to the model (where: see the adapter). @default true */
  injectWarnings?: boolean
  /** Also show a one-line budget status on every call, so an agent can plan. @default false */
  injectStatus?: boolean
  /**
   * When the budget cannot afford a call (nothing is sent to the provider): `'throw'` a
   * `BudgetExceededError`, or `'finish'` gracefully with an answer made of `exceededText` (its shape:
   * see the adapter).
   * @default 'throw'
   */
  onExceeded?: 'throw' | 'finish'
  /** The text of a call ended with `onExceeded: 'finish'`. @default the error's message */
  exceededText?: (error: BudgetExceededError) => string
  /**
   * End a stream once its counted output passes the reserved output, for providers that do not
   * enforce it.
   * @default false
   */
  stopStreamsAtReservation?: boolean
  /**
   * A call that makes no progress for this long (a stream nobody reads or cancels, a provider that went
   * quiet) is settled from its estimate and its stream or request cancelled; progress renews the lease.
   * @default 60_000
   */
  stallMs?: number
}

/**
 * {@link BudgetAdapterOptions} with the defaults filled in, as `validateAdapterOptions` returns them
 * (`modelId`, `defaultMaxOutputTokens` and `stallMs` stay `undefined` when unset: their defaults come
 * from the call, the budget and `startBudgetCall`).
 *
 * @example
 * const { budget, clamp, onExceeded }: ResolvedAdapterOptions = validateAdapterOptions(options)
 */
export interface ResolvedAdapterOptions<Context = BudgetContext> {
  budget: Budget
  context: Context | BudgetContext
  modelId: string | undefined
  defaultMaxOutputTokens: number | undefined
  clamp: boolean | { minOutputTokens?: number }
  injectWarnings: boolean
  injectStatus: boolean
  onExceeded: 'throw' | 'finish'
  exceededText: (error: BudgetExceededError) => string
  stopStreamsAtReservation: boolean
  stallMs: number | undefined
  /**
   * These options as `startBudgetCall` takes them (made once): spread them into each call's options.
   *
   * @example
   * startBudgetCall(budget, { ...options.callOptions, context, model, input, maxOutputTokens })
   */
  callOptions: AdapterCallOptions
}

/**
 * The part of `startBudgetCall`'s options that an adapter's options set, the same for each call.
 *
 * @example
 * const { clamp, warnings, status }: AdapterCallOptions = validateAdapterOptions(options).callOptions
 */
export type AdapterCallOptions = Pick<
  BudgetCallOptions,
  'defaultMaxOutputTokens' | 'clamp' | 'warnings' | 'status' | 'stallMs' | 'stopAtReservation'
>
