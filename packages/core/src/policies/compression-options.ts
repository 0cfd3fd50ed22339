import { BudgetValidationError } from '../errors/budget-validation-error.ts'

/**
 * How a request is shrunk, in the order given: `drop-low-signal` drops short acknowledgements and empty
 * turns, `truncate-tool-results` shortens the longest tool results, `summarize` replaces the oldest turns
 * with a summary written by the summarizer model (skipped without one), `drop-oldest` drops the oldest
 * turns. Each stops as soon as the request fits.
 */
export type CompressionStrategy = 'drop-low-signal' | 'truncate-tool-results' | 'summarize' | 'drop-oldest'

/**
 * A usage level from which requests are compressed. The target is the smaller of `targetTokens` and
 * `targetRatio` × the request's estimated input tokens.
 *
 * @example
 * const level: CompressionLevel = { name: 'moderate', atUsage: 0.7, targetRatio: 0.6 }
 */
export interface CompressionLevel {
  /** The share of the budget (0…1, the highest of the context's limits) from which this level applies. */
  atUsage: number
  /** Shown in events. @default `level-<atUsage>` */
  name?: string
  /** The target as a share of the request's input tokens (0 < ratio ≤ 1). */
  targetRatio?: number
  /** The target in input tokens. */
  targetTokens?: number
  /** @default ['drop-low-signal', 'truncate-tool-results'] */
  strategies?: readonly CompressionStrategy[]
}

/**
 * Options of budget-driven compression, shared by every adapter.
 *
 * @example
 * budgetMiddleware({ budget, compression: { levels: defaultCompressionLevels, keepLatestTurns: 2 } })
 */
export interface CompressionOptions {
  /** @default defaultCompressionLevels (70% moderate, 90% aggressive) */
  levels?: readonly CompressionLevel[]
  /**
   * Turns at the end of the request kept intact (a turn is a user message, or an assistant message with
   * the tool results that follow it). The latest user message is always kept too. @default 2
   */
  keepLatestTurns?: number
  /** A tool result is never truncated below this many tokens. @default 64 */
  minToolResultTokens?: number
  /** Output tokens of a summary call (the summary's size in the request). @default 256 */
  summaryMaxTokens?: number
  /** Requests smaller than this are never compressed. @default 0 */
  minInputTokens?: number
}

/** Compression options with every default applied and checked. */
export interface ResolvedCompressionOptions {
  levels: readonly Required<CompressionLevel>[]
  keepLatestTurns: number
  minToolResultTokens: number
  summaryMaxTokens: number
  minInputTokens: number
}

/** The seed levels: at 70% fit requests to 60% of their size, at 90% to 30% (summarizing or dropping old turns). */
export const defaultCompressionLevels: readonly CompressionLevel[] = Object.freeze([
  Object.freeze({
    name: 'moderate',
    atUsage: 0.7,
    targetRatio: 0.6,
    strategies: Object.freeze(['drop-low-signal', 'truncate-tool-results'] as const),
  }),
  Object.freeze({
    name: 'aggressive',
    atUsage: 0.9,
    targetRatio: 0.3,
    strategies: Object.freeze([
      'drop-low-signal',
      'truncate-tool-results',
      'summarize',
      'drop-oldest',
    ] as const),
  }),
])

const strategies = new Set<string>(['drop-low-signal', 'truncate-tool-results', 'summarize', 'drop-oldest'])

/**
 * Applies the defaults to compression options and validates them, throwing `BudgetValidationError`
 * naming the bad field under `field` (e.g. `compression.levels[1].atUsage`).
 *
 * @example
 * const resolved = resolveCompressionOptions({ levels: [{ atUsage: 0.8, targetTokens: 2000 }] }, 'compression')
 */
export function resolveCompressionOptions(
  options: CompressionOptions | true,
  field: string,
): ResolvedCompressionOptions {
  const value = options === true ? {} : options
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BudgetValidationError({ field, value, reason: 'expected true or { levels, … }' })
  }
  const {
    levels = defaultCompressionLevels,
    keepLatestTurns = 2,
    minToolResultTokens = 64,
    summaryMaxTokens = 256,
    minInputTokens = 0,
  } = value
  count(keepLatestTurns, `${field}.keepLatestTurns`, 0)
  count(minToolResultTokens, `${field}.minToolResultTokens`, 1)
  count(summaryMaxTokens, `${field}.summaryMaxTokens`, 1)
  count(minInputTokens, `${field}.minInputTokens`, 0)
  if (!Array.isArray(levels) || levels.length === 0) {
    throw new BudgetValidationError({
      field: `${field}.levels`,
      value: levels,
      reason: 'expected a non-empty array',
    })
  }
  return {
    levels: levels.map((level, index) => resolveLevel(level, `${field}.levels[${index}]`)),
    keepLatestTurns,
    minToolResultTokens,
    summaryMaxTokens,
    minInputTokens,
  }
}

function resolveLevel(level: CompressionLevel, field: string): Required<CompressionLevel> {
  if (level === null || typeof level !== 'object') {
    throw new BudgetValidationError({
      field,
      value: level,
      reason: 'expected { atUsage, targetRatio | targetTokens }',
    })
  }
  const { atUsage, name, targetRatio, targetTokens, strategies: chosen } = level
  share(atUsage, `${field}.atUsage`)
  if (targetRatio === undefined && targetTokens === undefined) {
    throw new BudgetValidationError({
      field: `${field}.targetRatio`,
      value: undefined,
      reason: 'expected targetRatio or targetTokens',
    })
  }
  if (targetRatio !== undefined) share(targetRatio, `${field}.targetRatio`)
  if (targetTokens !== undefined) count(targetTokens, `${field}.targetTokens`, 1)
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw new BudgetValidationError({
      field: `${field}.name`,
      value: name,
      reason: 'expected a non-empty string',
    })
  }
  const list = chosen ?? ['drop-low-signal', 'truncate-tool-results']
  if (!Array.isArray(list)) {
    throw new BudgetValidationError({
      field: `${field}.strategies`,
      value: list,
      reason: 'expected an array',
    })
  }
  list.forEach((strategy, index) => {
    if (!strategies.has(strategy)) {
      throw new BudgetValidationError({
        field: `${field}.strategies[${index}]`,
        value: strategy,
        reason: `expected one of ${[...strategies].join(', ')}`,
      })
    }
  })
  return {
    atUsage,
    name: name ?? `level-${atUsage}`,
    targetRatio: targetRatio ?? 1,
    targetTokens: targetTokens ?? Number.POSITIVE_INFINITY,
    strategies: list,
  }
}

function share(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !(value > 0) || value > 1) {
    throw new BudgetValidationError({ field, value, reason: 'expected a number in (0, 1]' })
  }
}

function count(value: unknown, field: string, min: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new BudgetValidationError({ field, value, reason: `expected a whole number ≥ ${min}` })
  }
}
