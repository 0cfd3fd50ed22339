import type { TokenEstimator } from '../estimation/token-estimator.ts'
import type { BudgetEventName, BudgetEvents, BudgetMode } from '../events/budget-events.ts'
import type { LimitConfig } from '../limits/limit-config.ts'
import type { Threshold } from '../limits/threshold.ts'
import type { Period } from '../periods/period.ts'
import type { ModelPrice, PriceSource } from '../prices/price-source.ts'
import type { HealthReport } from '../reports/health-report.ts'
import type { LimitStatus } from '../reports/limit-status.ts'
import type { BudgetStore } from '../stores/budget-store.ts'
import type { Tally } from '../usage/tally.ts'
import type { TokenUsage } from '../usage/token-usage.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import type { BudgetContext } from './budget-context.ts'
import type { ChildAllotment, ChildBudget } from './child-budget.ts'
import type { BudgetGrant, GrantResult } from './grant-allowance.ts'

/** Options of `createBudget`. */
export interface BudgetOptions {
  limits: readonly LimitConfig[]
  /**
   * Custom scopes, besides the built-in `global`, `model`, `agent`, `thread`, `user` and `task`. Limits,
   * `track` and contexts may only use known scopes: a typo such as `threads` is an error, not a new scope.
   *
   * @example
   * createBudget({ scopes: ['tenant'], limits: [{ scope: 'tenant', costUsd: 100, period: 'month' }] })
   */
  scopes?: readonly string[]
  /**
   * What a limit without `id` does with a call whose context lacks its scope's id (a thread limit and a
   * call without `thread`): refuse it with `MissingScopeError`, or let it past that limit (`skip`). Each
   * limit may override it. `global` limits always apply; a `model` limit takes the request's model.
   * @default 'refuse'
   */
  onMissingScope?: 'refuse' | 'skip'
  /** @default memoryStore() */
  store?: BudgetStore
  /** @default 'enforce' */
  mode?: BudgetMode
  /** Default thresholds of every limit. @default 0.75 warning, 0.9 critical, 0.95 final */
  thresholds?: readonly (number | Threshold)[]
  /** A price source, or overrides per model on top of an optional source. */
  prices?: PriceSource | { source?: PriceSource; models?: Record<string, ModelPrice> }
  /**
   * What to do when a USD limit applies and the model's price is unknown: refuse the call with
   * `UnknownPriceError`, or count it at $0 with a `priceUnknown` event (`warn`) or without (`ignore`).
   * @default 'error'
   */
  unknownPrice?: 'error' | 'warn' | 'ignore'
  /** IANA time zone of calendar periods. @default 'UTC' */
  timeZone?: string
  /** First day of a `week` period, 0 = Sunday … 6 = Saturday. @default 1 (Monday) */
  weekStartsOn?: number
  /** How long an unsettled reservation holds budget before it lapses, in ms. @default 600_000 */
  leaseMs?: number
  /** Output tokens reserved when a call sets no maximum. @default 4096 */
  defaultMaxOutputTokens?: number
  /** @default estimateTokens (≈ 4 characters per token) */
  estimator?: TokenEstimator
  /** Scopes whose usage is tracked for reports even without a limit. @default ['agent', 'user', 'model', 'global'] */
  track?: readonly string[]
  /**
   * The period of tracked usage (reports' top spenders and totals): tracking counters start over every
   * period and expire when it ends, so a budget that sees ever new users does not grow. `'none'` keeps
   * them forever. A rolling period (`{ rolling: '6h' }`) means back-to-back periods of that length.
   * @default the longest period of the limits, or 'day'
   */
  trackPeriod?: Period
  /** Text templates. */
  messages?: { warning?: (warning: Omit<BudgetWarning, 'message' | 'id'>) => string }
  /** The clock, in epoch ms (inject one in tests). @default Date.now */
  now?: () => number
}

/** What `reserve` needs to know about a call. */
export interface ReserveRequest {
  model?: string
  /** Estimated input tokens (see `budget.estimator`). */
  inputTokens: number
  /** Maximum output tokens of the call. @default the budget's defaultMaxOutputTokens */
  maxOutputTokens?: number
  /**
   * `maxOutputTokens` is a default an adapter reserved, not a limit the caller set: a refusal that only
   * that output causes says so (`BudgetExceededError.outputFromDefault`). Implied when `maxOutputTokens`
   * is absent. @default false
   */
  outputFromDefault?: boolean
  /**
   * Lower `maxOutputTokens` to what the budget can still afford instead of refusing; refuses only when
   * fewer than `minOutputTokens` (default 1) remain.
   */
  clamp?: boolean | { minOutputTokens?: number }
  /** Lease length of this reservation in ms. @default the budget's leaseMs */
  leaseMs?: number
}

/** The result of a settle or a record. */
export interface SettleResult {
  /** Thresholds this usage crossed (also emitted and queued for `takeWarnings`). */
  warnings: BudgetWarning[]
  /** What was counted. */
  usage: Tally
  costUsd: number
}

/**
 * Usage held against the budget while a call runs. Settle it with the real usage, or release it when
 * the call failed before using anything. An abandoned reservation lapses after its lease.
 *
 * @example
 * const r = await budget.reserve(ctx, { model: 'gpt-4o', inputTokens: 1200, maxOutputTokens: 800 })
 * try {
 *   const response = await callModel({ max_tokens: r.maxOutputTokens })
 *   await r.settle({ inputTokens: response.usage.prompt_tokens, outputTokens: response.usage.completion_tokens })
 * } finally {
 *   await r.release() // no-op after settle
 * }
 */
export interface Reservation {
  readonly id: string
  readonly context: BudgetContext
  readonly model: string | undefined
  readonly inputTokens: number
  /** The output tokens reserved; lower than requested when `clamp` applied. */
  readonly maxOutputTokens: number
  /** What is held on every applicable limit. */
  readonly amount: Tally
  readonly state: 'open' | 'settled' | 'released'
  /** When the lease lapses (epoch ms). */
  readonly expiresAt: number
  /** The lease length (ms): `renew()` extends the lease by this much by default. */
  readonly leaseMs: number
  /**
   * Swaps the reservation for the real usage. Safe to retry after a rejection: a retry resubmits the
   * same reservation id, and a store that already applied the first attempt (its reply was lost, or a
   * later step threw) adds nothing again.
   */
  settle(usage: TokenUsage): Promise<SettleResult>
  /** Returns the reservation; a no-op once settled or released. Safe to retry, like `settle`. */
  release(): Promise<void>
  /** Extends the lease (long streams). False when it already lapsed or closed. */
  renew(leaseMs?: number): Promise<boolean>
}

/**
 * A budget: limits over scopes and periods, enforced with reserve → settle/release.
 *
 * @example
 * const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
 */
export interface Budget {
  readonly mode: BudgetMode
  readonly store: BudgetStore
  readonly estimator: TokenEstimator
  readonly defaultMaxOutputTokens: number
  /**
   * Holds the call's estimated usage on every applicable limit, or throws `BudgetExceededError`.
   * Throws `MissingScopeError` (nothing held) when the context lacks the id of a scope with a refusing
   * default limit, and `BudgetValidationError` for a context key that is no scope.
   */
  reserve(context: BudgetContext, request: ReserveRequest): Promise<Reservation>
  /** Counts usage known only afterwards (no reservation); refuses a missing scope id as `reserve` does. */
  record(context: BudgetContext, usage: TokenUsage & { model?: string }): Promise<SettleResult>
  /**
   * Warnings not yet shown to this context's conversation (its thread, else the context itself); marks
   * them shown. Inject each `message` into the model's next call. A read: limits whose scope id the
   * context lacks are left out (no `MissingScopeError`).
   */
  takeWarnings(context: BudgetContext, options?: { model?: string }): BudgetWarning[]
  /**
   * Gives warnings taken for a call back to the conversation when that call was refused or failed
   * before the model saw them, so the next call shows them (unless a newer crossing replaced them).
   *
   * @example
   * const warnings = budget.takeWarnings(ctx)
   * try { await callModel(withNotice(warnings)) } catch (error) { budget.restoreWarnings(ctx, warnings); throw error }
   */
  restoreWarnings(context: BudgetContext, warnings: readonly BudgetWarning[]): void
  /**
   * One status per applicable limit and unit. A read: limits whose scope id the context lacks are left
   * out rather than refused (adapters show status before a call that `reserve` will refuse).
   */
  status(context: BudgetContext, options?: { model?: string }): Promise<LimitStatus[]>
  /**
   * The largest `maxOutputTokens` this context can still afford (Infinity when unbounded). Refuses a
   * missing scope id with `MissingScopeError`, as `reserve` would: the answer would not hold for the call.
   */
  affordableOutputTokens(
    context: BudgetContext,
    request: { model?: string; inputTokens: number },
  ): Promise<number>
  /** Every live limit counter, totals and top spenders by agent, user and model. */
  report(options?: { top?: number }): Promise<HealthReport>
  /** USD cost of a usage, `undefined` when the model's price is unknown. */
  cost(model: string, usage: TokenUsage): number | undefined
  on<E extends BudgetEventName>(event: E, handler: (event: BudgetEvents[E]) => void): () => void
  /**
   * Reports what an adapter did to a call because of the budget (a compressed request, a downgraded
   * model), as a `compressed` or `downgraded` event for alerts, metrics and logs.
   *
   * @example
   * budget.notify('downgraded', { context, from: 'gpt-4o', to: 'gpt-4o-mini', usage: 0.93, atUsage: 0.9 })
   */
  notify<E extends 'compressed' | 'downgraded'>(event: E, payload: BudgetEvents[E]): void
  /**
   * Carves a budget for a sub-agent from what this budget has left for `context` (atomic: concurrent
   * children can never be granted more than is left). The child's usage charges `context`'s limits when
   * it ends; until then they show the allotment as reserved. Throws `BudgetExceededError` when the
   * allotment does not fit (or grants what is left with `clamp: true`).
   *
   * @example
   * const researcher = await budget.child({ agent: 'coordinator' }, { tokens: 20_000, name: 'researcher' })
   * await researcher.end()
   */
  child(context: BudgetContext, allotment: ChildAllotment): Promise<ChildBudget>
  /**
   * Raises limits for one context for their current period (a person extending a thread after a
   * check-in): after it, the limits refuse only past configured + granted, and statuses and reports
   * show `granted`. Atomic in the store per limit and idempotent by `grant.id`. Throws
   * `BudgetValidationError` naming the field for a bad amount, no matching limit, or a store without
   * grants; a child budget refuses (grow it with `extend`, which holds the extra on its parent).
   *
   * @example
   * await budget.grant({ thread: 't-1' }, { scope: 'thread', tokens: 50_000 })
   */
  grant(context: BudgetContext, grant: BudgetGrant): Promise<GrantResult>
  dispose(): Promise<void>
}
