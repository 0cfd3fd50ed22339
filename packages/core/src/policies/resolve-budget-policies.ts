import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import {
  type CompressionOptions,
  type ResolvedCompressionOptions,
  resolveCompressionOptions,
} from './compression-options.ts'
import { type DowngradeLevel, validateDowngradeLevels } from './downgrade-options.ts'
import type { CompressionEvent, DowngradeEvent } from './policy-events.ts'

/** An adapter's compression and downgrade options, as its users give them. */
export interface BudgetPolicyOptions<Model, Summarizer> {
  compression?: true | (CompressionOptions & { summarizer?: Summarizer })
  downgrade?: readonly DowngradeLevel<Model>[]
  onCompressed?: (event: CompressionEvent) => void
  onDowngraded?: (event: DowngradeEvent) => void
}

/** The same options, checked. */
export interface ResolvedBudgetPolicies<Model, Summarizer> {
  compression: ResolvedCompressionOptions | undefined
  summarizer: Summarizer | undefined
  downgrade: DowngradeLevel<Model>[] | undefined
  onCompressed: ((event: CompressionEvent) => void) | undefined
  onDowngraded: ((event: DowngradeEvent) => void) | undefined
}

/**
 * Validates an adapter's `compression`, `downgrade`, `onCompressed` and `onDowngraded` options; the
 * adapter says what a model and a summarizer are in its framework. Errors name the field under
 * `prefix` (e.g. `options.compression.summarizer`).
 *
 * @example
 * const policies = resolveBudgetPolicies(options, { prefix: 'options.', isModel: isModelId, isSummarizer: isModelId, summarizerKind: 'a model id' })
 */
export function resolveBudgetPolicies<Model, Summarizer>(
  options: BudgetPolicyOptions<Model, Summarizer>,
  adapter: {
    prefix: string
    isModel: (value: unknown) => value is Model
    isSummarizer: (value: unknown) => value is Summarizer
    /** How the error names a valid summarizer, e.g. `a chat model`. */
    summarizerKind: string
  },
): ResolvedBudgetPolicies<Model, Summarizer> {
  const { compression, downgrade, onCompressed, onDowngraded } = options
  const { prefix } = adapter
  const summarizer = compression === true || compression == null ? undefined : compression.summarizer
  if (summarizer !== undefined && !adapter.isSummarizer(summarizer)) {
    throw new BudgetValidationError({
      field: `${prefix}compression.summarizer`,
      value: summarizer,
      reason: `expected ${adapter.summarizerKind}`,
    })
  }
  for (const [field, value] of [
    ['onCompressed', onCompressed],
    ['onDowngraded', onDowngraded],
  ] as const) {
    if (value !== undefined && typeof value !== 'function') {
      throw new BudgetValidationError({ field: `${prefix}${field}`, value, reason: 'expected a function' })
    }
  }
  return {
    compression:
      compression == null ? undefined : resolveCompressionOptions(compression, `${prefix}compression`),
    summarizer,
    downgrade:
      downgrade === undefined
        ? undefined
        : validateDowngradeLevels(downgrade, `${prefix}downgrade`, adapter.isModel),
    onCompressed,
    onDowngraded,
  }
}
