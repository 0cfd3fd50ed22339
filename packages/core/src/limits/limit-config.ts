import type { Period } from '../periods/period.ts'
import type { LimitUnit } from './limit-unit.ts'
import type { Threshold } from './threshold.ts'

/**
 * A scope: one of the built-in ones or a custom name the budget declares in its `scopes` option; either
 * way a key of the call's context.
 *
 * @example
 * const scope: Scope = 'tenant' // counts per context.tenant, with createBudget({ scopes: ['tenant'], … })
 */
export type Scope = 'agent' | 'thread' | 'user' | 'task' | 'model' | 'global' | (string & {})

/**
 * One limit. Without `id` it applies to each value of its scope separately (every thread gets its own
 * 100k tokens), and a call whose context lacks that scope's id is refused with `MissingScopeError`
 * (unless `onMissingScope: 'skip'`). With `id` it applies to that value only, on top of the scope's
 * default limits: for that id it replaces a default's units that it sets for the same period, the rest
 * of the defaults still apply (`replaceDefaults: true` replaces all of them). Give one or more units;
 * each is enforced.
 *
 * @example
 * const limits: LimitConfig[] = [
 *   { scope: 'thread', tokens: 100_000 },
 *   { scope: 'agent', id: 'researcher', costUsd: 5, period: 'day' },
 *   { scope: 'global', requests: 10_000, period: 'month' },
 * ]
 */
export interface LimitConfig {
  scope: Scope
  /**
   * Restricts the limit to one scope value. For that value it replaces the scope's default limits in the
   * units it sets and the same period; the other defaults still apply.
   */
  id?: string
  /**
   * With `id`: replace every default limit of the scope for this value, whatever its units and period.
   * @default false
   */
  replaceDefaults?: boolean
  /**
   * Without `id`: what to do with a call whose context has no value for this scope: refuse it with
   * `MissingScopeError` or let it past this limit. Not for `global` (it always applies).
   * @default the budget's onMissingScope ('refuse')
   */
  onMissingScope?: 'refuse' | 'skip'
  /** A unique, stable name; the counter keys derive from it. Default: scope, id and period. */
  name?: string
  /** Total tokens (input + output). */
  tokens?: number
  inputTokens?: number
  outputTokens?: number
  /** USD; needs the model's price (see `prices` and `unknownPrice`). */
  costUsd?: number
  /** Number of model calls. */
  requests?: number
  /** @default 'none' */
  period?: Period
  /** Overrides the budget's thresholds for this limit. */
  thresholds?: readonly (number | Threshold)[]
  /**
   * Calendar periods: record usage per part of the period (5 min of an hour, 1 h of a day, 6 h of a
   * week, 1 day of a month) so the CLI draws burn-down charts from it. Each scope value then keeps up to
   * 24 history counters per period and every settle writes one more counter, so it is on by default only
   * for one counter per limit.
   * @default true for `global` and limits with an `id`; false for limits on every value of a scope
   */
  history?: boolean
  /**
   * Carry what the previous period left unused into this one, at most `max` (a number for a one-unit
   * limit, or per unit). Only calendar periods (`hour`, `day`, `week`, `month`). What carries is the
   * previous period's base limit minus its usage: a carry is not carried again.
   *
   * @example
   * { scope: 'user', tokens: 100_000, period: 'day', rollover: { max: 50_000 } }
   */
  rollover?: Rollover
}

/**
 * How much of a period's unused budget a limit carries into the next one.
 *
 * @example
 * const rollover: Rollover = { max: { tokens: 20_000, costUsd: 1 } }
 */
export interface Rollover {
  max: number | Partial<Record<LimitUnit, number>>
}
