import { formatQuantity } from '../format/format-amount.ts'
import type { LimitUnit } from '../limits/limit-unit.ts'
import { describePeriod } from '../periods/describe-period.ts'
import { TokenwardenError } from './tokenwarden-error.ts'

const name = 'tokenwarden.error.budget-exceeded'
const symbol = Symbol.for(name)

/** The fields of a {@link BudgetExceededError}. */
export interface BudgetExceededDetails {
  /** Scope of the limit that refused the call, e.g. `thread`. */
  scope: string
  /** The scope value, e.g. the thread id (`global` for the global scope). */
  scopeId: string
  /** The limit's name (unique within a budget). */
  limitName: string
  /** The unit that ran out. */
  unit: LimitUnit
  /** The limit in that unit: the configured one plus what grants added (`granted`). */
  limit: number
  /** What grants (`budget.grant()`) added to the limit in this period; 0 when none. */
  granted?: number
  /** Settled usage in the current period. */
  used: number
  /** Usage held by open reservations. */
  reserved: number
  /** What the refused call asked for. */
  requested: number
  /** `limit - used - reserved`, never below 0. */
  remaining: number
  /** The period of the limit, machine-readable: `none`, `day`, `rolling:3600000:10`, … */
  period: string
  /** When the current period ends (epoch ms), or `null` when the limit never resets. */
  resetsAt: number | null
  /**
   * Set when the call set no output limit and the output reserved by default (this many tokens) is what
   * the limit cannot afford: the input alone would fit (see `outputFromDefault`).
   */
  defaultOutputTokens?: number
}

/**
 * Thrown by `reserve` (and by adapters before a model call) when a call would push a limit past its
 * maximum. Nothing was reserved and the model was not called.
 *
 * @example
 * try { await budget.reserve(ctx, { model: 'gpt-4o', inputTokens: 900 }) } catch (error) {
 *   if (BudgetExceededError.isInstance(error)) console.log(error.scope, error.remaining, error.unit)
 * }
 */
export class BudgetExceededError extends TokenwardenError implements BudgetExceededDetails {
  protected readonly [symbol] = true
  readonly scope: string
  readonly scopeId: string
  readonly limitName: string
  readonly unit: LimitUnit
  readonly limit: number
  /** What grants (`budget.grant()`) added to `limit` in this period; 0 when none. */
  readonly granted: number
  readonly used: number
  readonly reserved: number
  readonly requested: number
  readonly remaining: number
  readonly period: string
  /** The period as people read it: `today`, `in the last hour` (see `describePeriod`). */
  readonly periodDescription: string
  readonly resetsAt: number | null
  /**
   * True when the refusal is caused by the default output reservation: the call set no output limit,
   * `defaultOutputTokens` were reserved for its output, and the input alone would fit. Fix it by setting
   * the call's output limit, lowering `defaultMaxOutputTokens`, or turning on `clamp`.
   */
  readonly outputFromDefault: boolean
  /** The output tokens reserved by default when `outputFromDefault`; else `undefined`. */
  readonly defaultOutputTokens: number | undefined

  constructor(details: BudgetExceededDetails & { message?: string; cause?: unknown }) {
    super({
      code: 'budget_exceeded',
      message:
        details.message ??
        `budget exceeded: ${details.scope} "${details.scopeId}" has ${formatQuantity(details.remaining, details.unit)} ` +
          `of ${formatQuantity(details.limit, details.unit)} left${details.period === 'none' ? '' : ` ${describePeriod(details.period)}`}, ` +
          `the call needs ${formatQuantity(details.requested, details.unit)}` +
          (details.defaultOutputTokens === undefined ? '' : defaultOutputHint(details.defaultOutputTokens)),
      cause: details.cause,
    })
    this.name = 'BudgetExceededError'
    this.scope = details.scope
    this.scopeId = details.scopeId
    this.limitName = details.limitName
    this.unit = details.unit
    this.limit = details.limit
    this.granted = details.granted ?? 0
    this.used = details.used
    this.reserved = details.reserved
    this.requested = details.requested
    this.remaining = details.remaining
    this.period = details.period
    this.periodDescription = describePeriod(details.period)
    this.resetsAt = details.resetsAt
    this.outputFromDefault = details.defaultOutputTokens !== undefined
    this.defaultOutputTokens = details.defaultOutputTokens
  }

  static override isInstance(error: unknown): error is BudgetExceededError {
    return TokenwardenError.hasMarker(error, name)
  }

  /** The fields as a plain object (for logs and events; contains no prompt text). */
  toJSON(): BudgetExceededDetails & {
    code: string
    message: string
    periodDescription: string
    outputFromDefault: boolean
  } {
    const json = {
      code: this.code,
      message: this.message,
      scope: this.scope,
      scopeId: this.scopeId,
      limitName: this.limitName,
      unit: this.unit,
      limit: this.limit,
      granted: this.granted,
      used: this.used,
      reserved: this.reserved,
      requested: this.requested,
      remaining: this.remaining,
      period: this.period,
      periodDescription: this.periodDescription,
      resetsAt: this.resetsAt,
      outputFromDefault: this.outputFromDefault,
    }
    return this.defaultOutputTokens === undefined
      ? json
      : { ...json, defaultOutputTokens: this.defaultOutputTokens }
  }
}

function defaultOutputHint(tokens: number): string {
  return (
    `, of which ${formatQuantity(tokens, 'tokens')} are output reserved by default because the call set no output limit ` +
    "(the input alone fits): set the call's output limit (maxOutputTokens), lower defaultMaxOutputTokens, or turn on clamp"
  )
}
