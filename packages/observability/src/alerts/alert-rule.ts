import type { BudgetContext, Duration, LimitUnit } from '@tokenwarden/core'

/**
 * Runaway: one task used more than `factor` × its expected size. Fires once per task.
 *
 * @example
 * const rule: RunawayRule = { type: 'runaway', expectedTokens: { '*': 20_000, 'triage': 4_000 }, factor: 3 }
 */
export interface RunawayRule {
  type: 'runaway'
  /** Names the rule in alerts. @default 'runaway' */
  name?: string
  /** The context key naming the task. @default 'task' */
  scope?: string
  /**
   * Tokens one task is expected to use: a number, a map of task id → tokens (`'*'` for the others), or a
   * function (code only). A task without an expected size is not watched.
   */
  expectedTokens:
    | number
    | Record<string, number>
    | ((taskId: string, context: BudgetContext) => number | undefined)
  /** The multiple of the expected size that fires. @default 3 */
  factor?: number
}

/**
 * Spike: usage in the last `window` runs at more than `factor` × the rate of the `trailing` period before
 * it. Fires once per episode: again only after the rate stayed below for a whole window.
 *
 * @example
 * const rule: SpikeRule = { type: 'spike', scope: 'agent', window: '5m', trailing: '1h', factor: 4, minUsage: 10_000 }
 */
export interface SpikeRule {
  type: 'spike'
  /** @default 'spike' */
  name?: string
  /** Watch each value of this context key separately, or `global` for all usage. @default 'global' */
  scope?: string
  /** @default 'tokens' */
  unit?: LimitUnit
  /** The recent window. @default '5m' */
  window?: Duration
  /** The baseline before the window; a whole number of buckets. @default '1h' */
  trailing?: Duration
  /** Bucket length; divides `window` and `trailing`. @default window / 10 */
  bucket?: Duration
  /** @default 3 */
  factor?: number
  /** Usage in the window below this never fires (quiet start-up and trickles). @default 0 */
  minUsage?: number
}

/**
 * Forecast: at the current pace, a calendar-period limit will end its period above `share` × the limit.
 * Fires once per limit, scope value and period.
 *
 * @example
 * const rule: ForecastRule = { type: 'forecast', scope: 'agent', unit: 'costUsd', share: 0.9 }
 */
export interface ForecastRule {
  type: 'forecast'
  /** @default 'forecast' */
  name?: string
  /** Only this limit (by name). */
  limit?: string
  /** Only limits of this scope. */
  scope?: string
  /** Only this unit. */
  unit?: LimitUnit
  /** Fires when the projected end-of-period usage passes this share of the limit. @default 1 */
  share?: number
  /** Share of the period that must have passed before projecting (early projections are noise). @default 0.1 */
  minElapsed?: number
}

/**
 * One alert rule.
 *
 * @example
 * const rules: AlertRule[] = [{ type: 'runaway', expectedTokens: 20_000 }, { type: 'forecast', share: 0.9 }]
 */
export type AlertRule = RunawayRule | SpikeRule | ForecastRule
