import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { heuristicEstimator } from '../estimation/estimate-tokens.ts'
import type { TokenEstimator } from '../estimation/token-estimator.ts'
import type { BudgetMode } from '../events/budget-events.ts'
import { formatWarning } from '../format/format-warning.ts'
import { compileLimits } from '../limits/compile-limits.ts'
import { assertScope, parseScopes } from '../limits/parse-scopes.ts'
import { defaultThresholds, parseThresholds } from '../limits/threshold.ts'
import { assertAmount } from '../limits/validate.ts'
import { assertTimeZone } from '../periods/period-window.ts'
import { memoryStore } from '../stores/memory-store.ts'
import type { Budget, BudgetOptions } from './budget.ts'
import { BudgetEngine } from './budget-engine.ts'
import { resolvePrices } from './resolve-prices.ts'
import { resolveTrackPeriod } from './resolve-track-period.ts'
import { assertPositive } from './validate-request.ts'

const modes = new Set<BudgetMode>(['enforce', 'warn', 'dry-run'])
const unknownPricePolicies = new Set(['error', 'warn', 'ignore'])
const missingScopePolicies = new Set(['refuse', 'skip'])

/**
 * Creates a budget: limits in tokens, USD and requests over scopes and periods, enforced atomically with
 * reserve → settle/release, with thresholds that warn once per crossing.
 *
 * @example
 * const budget = createBudget({
 *   scopes: ['tenant'], // custom scopes besides global, model, agent, thread, user, task
 *   limits: [
 *     { scope: 'thread', tokens: 100_000 },
 *     { scope: 'agent', id: 'researcher', costUsd: 5, period: 'day' },
 *     { scope: 'global', requests: 10_000, period: 'month' },
 *     { scope: 'tenant', costUsd: 100, period: 'month', onMissingScope: 'skip' },
 *   ],
 *   prices: genaiPrices(), // from @tokenwarden/prices
 * })
 * const r = await budget.reserve({ agent: 'researcher', thread: 't-1' }, { model: 'gpt-4o', inputTokens: 1200, maxOutputTokens: 800 })
 * const { warnings } = await r.settle({ inputTokens: 1100, outputTokens: 350 })
 */
export function createBudget(input: BudgetOptions): Budget {
  if (input === null || typeof input !== 'object') {
    throw new BudgetValidationError({
      field: 'options',
      value: input,
      reason: 'expected an options object',
    })
  }
  // Read once: a getter that changes between reads cannot make the validated value differ from the used one.
  const options = readOptions(input)
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
  const scopes = parseScopes(options.scopes)
  const onMissingScope = options.onMissingScope ?? 'refuse'
  if (!missingScopePolicies.has(onMissingScope)) {
    throw new BudgetValidationError({
      field: 'onMissingScope',
      value: onMissingScope,
      reason: "expected 'refuse' or 'skip'",
    })
  }
  const table = compileLimits(options.limits, thresholds, { scopes, onMissingScope })
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
  const tracked = [...track]
  for (const [index, scope] of tracked.entries()) assertScope(scope, scopes, `track[${index}]`)
  const trackPeriod = resolveTrackPeriod(options.trackPeriod, table)
  const prices = resolvePrices(options.prices)
  const now = options.now ?? Date.now
  if (typeof now !== 'function')
    throw new BudgetValidationError({ field: 'now', value: now, reason: 'expected a function' })
  const messages = options.messages
  if (messages !== undefined && (messages === null || typeof messages !== 'object'))
    throw new BudgetValidationError({ field: 'messages', value: messages, reason: 'expected { warning }' })
  const warningTemplate = messages?.warning ?? formatWarning
  if (typeof warningTemplate !== 'function') {
    throw new BudgetValidationError({
      field: 'messages.warning',
      value: warningTemplate,
      reason: 'expected a function',
    })
  }
  const estimator = options.estimator ?? heuristicEstimator
  if (estimator === null || typeof estimator !== 'object' || typeof estimator.count !== 'function') {
    throw new BudgetValidationError({
      field: 'estimator',
      value: estimator,
      reason: 'expected an object with count(text)',
    })
  }

  return new BudgetEngine({
    mode,
    unknownPrice,
    table,
    scopes,
    thresholds,
    calendar: { timeZone, weekStartsOn },
    leaseMs,
    defaultMaxOutputTokens,
    track: tracked,
    trackPeriod,
    // a budget without limits or trackPeriod cannot know the writers' track period: it reads the latest
    reportTrackPeriod:
      options.trackPeriod === undefined && table.limits.length === 0 ? undefined : trackPeriod,
    prices,
    // Date.now itself needs no check (one call less per operation)
    now: now === systemNow ? now : checkedClock(now),
    systemClock: now === systemNow,
    warningTemplate,
    store: options.store ?? memoryStore(),
    estimator: estimator === heuristicEstimator ? estimator : checkedEstimator(estimator),
  })
}

/** The options, each field read once; limits are copied one level deep (their fields read once too). */
function readOptions(input: BudgetOptions): BudgetOptions {
  const options = { ...input }
  const limits: unknown = options.limits
  if (Array.isArray(limits)) {
    options.limits = limits.map((limit: unknown) =>
      limit !== null && typeof limit === 'object' && !Array.isArray(limit) ? { ...limit } : limit,
    ) as BudgetOptions['limits']
  }
  return options
}

/** The system clock as this module found it (a `Date.now` replaced later is checked like any clock). */
const systemNow = Date.now

/**
 * The budget's clock, checked on every read: anything but a finite number is a `BudgetValidationError`
 * with field `now()` (a period computed from NaN would count nowhere).
 */
function checkedClock(now: () => number): () => number {
  return () => {
    const time: unknown = now()
    if (typeof time !== 'number' || !Number.isFinite(time)) {
      throw new BudgetValidationError({
        field: 'now()',
        value: time,
        reason: 'expected the clock to return a finite number of epoch ms',
      })
    }
    return time
  }
}

/**
 * A user estimator whose counts are checked: anything but a whole number ≥ 0 (a safe integer) is a
 * `BudgetValidationError` with field `estimator.count()`, so a broken tokenizer cannot shrink or poison
 * a reservation. Other members of the estimator stay reachable.
 */
function checkedEstimator(estimator: TokenEstimator): TokenEstimator {
  const count = (text: string): number => {
    const tokens: unknown = estimator.count(text)
    assertAmount(tokens, 'estimator.count()', { integer: true })
    return tokens
  }
  return Object.create(estimator, { count: { value: count, enumerable: true } })
}
