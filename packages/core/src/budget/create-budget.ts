import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { heuristicEstimator } from '../estimation/estimate-tokens.ts'
import type { BudgetMode } from '../events/budget-events.ts'
import { formatWarning } from '../format/format-warning.ts'
import { compileLimits } from '../limits/compile-limits.ts'
import { defaultThresholds, parseThresholds } from '../limits/threshold.ts'
import { assertAmount, assertId } from '../limits/validate.ts'
import { assertTimeZone } from '../periods/period-window.ts'
import { memoryStore } from '../stores/memory-store.ts'
import type { Budget, BudgetOptions } from './budget.ts'
import { BudgetEngine } from './budget-engine.ts'
import { resolvePrices } from './resolve-prices.ts'
import { resolveTrackPeriod } from './resolve-track-period.ts'
import { assertPositive } from './validate-request.ts'

const modes = new Set<BudgetMode>(['enforce', 'warn', 'dry-run'])
const unknownPricePolicies = new Set(['error', 'warn', 'ignore'])

/**
 * Creates a budget: limits in tokens, USD and requests over scopes and periods, enforced atomically with
 * reserve → settle/release, with thresholds that warn once per crossing.
 *
 * @example
 * const budget = createBudget({
 *   limits: [
 *     { scope: 'thread', tokens: 100_000 },
 *     { scope: 'agent', id: 'researcher', costUsd: 5, period: 'day' },
 *     { scope: 'global', requests: 10_000, period: 'month' },
 *   ],
 *   prices: genaiPrices(), // from @tokenwarden/prices
 * })
 * const r = await budget.reserve({ agent: 'researcher', thread: 't-1' }, { model: 'gpt-4o', inputTokens: 1200, maxOutputTokens: 800 })
 * const { warnings } = await r.settle({ inputTokens: 1100, outputTokens: 350 })
 */
export function createBudget(options: BudgetOptions): Budget {
  if (options === null || typeof options !== 'object') {
    throw new BudgetValidationError({
      field: 'options',
      value: options,
      reason: 'expected an options object',
    })
  }
  const mode = options.mode ?? 'enforce'
  if (!modes.has(mode)) {
    throw new BudgetValidationError({
      field: 'mode',
      value: mode,
      reason: "expected 'enforce', 'warn' or 'dry-run'",
    })
  }
  const unknownPrice = options.unknownPrice ?? 'error'
  if (!unknownPricePolicies.has(unknownPrice)) {
    throw new BudgetValidationError({
      field: 'unknownPrice',
      value: unknownPrice,
      reason: "expected 'error', 'warn' or 'ignore'",
    })
  }
  const thresholds =
    options.thresholds === undefined
      ? [...defaultThresholds]
      : parseThresholds(options.thresholds, 'thresholds')
  const table = compileLimits(options.limits, thresholds)
  const timeZone = options.timeZone ?? 'UTC'
  assertTimeZone(timeZone, 'timeZone')
  const weekStartsOn = options.weekStartsOn ?? 1
  if (!Number.isInteger(weekStartsOn) || weekStartsOn < 0 || weekStartsOn > 6) {
    throw new BudgetValidationError({
      field: 'weekStartsOn',
      value: weekStartsOn,
      reason: 'expected 0 (Sunday) to 6',
    })
  }
  const leaseMs = options.leaseMs ?? 600_000
  assertPositive(leaseMs, 'leaseMs')
  const defaultMaxOutputTokens = options.defaultMaxOutputTokens ?? 4096
  assertAmount(defaultMaxOutputTokens, 'defaultMaxOutputTokens', { integer: true })
  const track = options.track ?? ['agent', 'user', 'model', 'global']
  if (!Array.isArray(track))
    throw new BudgetValidationError({ field: 'track', value: track, reason: 'expected an array of scopes' })
  for (const [index, scope] of track.entries()) assertId(scope, `track[${index}]`)
  const trackPeriod = resolveTrackPeriod(options.trackPeriod, table)
  const prices = resolvePrices(options.prices)
  const now = options.now ?? Date.now
  if (typeof now !== 'function')
    throw new BudgetValidationError({ field: 'now', value: now, reason: 'expected a function' })
  const warningTemplate = options.messages?.warning ?? formatWarning

  return new BudgetEngine({
    mode,
    unknownPrice,
    table,
    thresholds,
    calendar: { timeZone, weekStartsOn },
    leaseMs,
    defaultMaxOutputTokens,
    track,
    trackPeriod,
    prices,
    now,
    warningTemplate,
    store: options.store ?? memoryStore(),
    estimator: options.estimator ?? heuristicEstimator,
  })
}
