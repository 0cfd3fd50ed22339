import type { Budget } from '../budget/budget.ts'
import { createBudget } from '../budget/create-budget.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { formatStatus } from '../format/format-status.ts'
import { assertAmount, assertId } from '../limits/validate.ts'
import type { BudgetStore } from '../stores/budget-store.ts'
import type { TokenUsage } from '../usage/token-usage.ts'

/** Options of {@link TokenBudgetTracker}. */
export interface TokenBudgetTrackerOptions {
  /** Tokens each agent may use. */
  maxTokens: number
  /** Share of `maxTokens` at which `onWarning` fires (once per crossing). @default 0.8 */
  warningThreshold?: number
  onWarning?: (agentId: string, status: TrackerStatus) => void
  /** Where the counters live (share one between processes). @default memoryStore() */
  store?: BudgetStore
}

/**
 * An agent's standing in a {@link TokenBudgetTracker}.
 *
 * @example
 * const { used, remaining, percentage, isWarning, isExceeded }: TrackerStatus = await tracker.getStatus('a')
 */
export interface TrackerStatus {
  used: number
  remaining: number
  /** used / maxTokens in percent (may pass 100). */
  percentage: number
  /** At or past the warning threshold. */
  isWarning: boolean
  /** At or past `maxTokens`. */
  isExceeded: boolean
}

/**
 * A tracker with the seed's shape, for users coming from it: per-agent token counts with a warning
 * threshold. It is a thin facade over a core budget (one `agent`-like limit of `maxTokens`; the counts
 * live in the budget's store, no second ledger), so `tracker.budget` can also be given to an adapter.
 * Unlike the seed its methods are async (stores may be remote).
 *
 * @example
 * const tracker = new TokenBudgetTracker({ maxTokens: 10_000, onWarning: (agent, s) => console.log(agent, s.percentage) })
 * const status = await tracker.recordUsage('researcher', 1200)
 * console.log(await tracker.formatStatus('researcher')) // [█░░░░░░░░░] 12% (1,200/10,000 tokens)
 */
export class TokenBudgetTracker {
  readonly maxTokens: number
  readonly warningThreshold: number
  /** The core budget behind the tracker (scope `tracker`, one counter per agent and reset). */
  readonly budget: Budget
  private readonly onWarning: TokenBudgetTrackerOptions['onWarning']
  private readonly generations = new Map<string, number>()

  constructor(options: TokenBudgetTrackerOptions) {
    if (options === null || typeof options !== 'object') {
      throw new BudgetValidationError({ field: 'options', value: options, reason: 'expected { maxTokens }' })
    }
    assertAmount(options.maxTokens, 'maxTokens', { integer: true })
    const threshold = options.warningThreshold ?? 0.8
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) {
      throw new BudgetValidationError({
        field: 'warningThreshold',
        value: threshold,
        reason: 'expected a share in (0, 1]',
      })
    }
    if (options.onWarning !== undefined && typeof options.onWarning !== 'function') {
      throw new BudgetValidationError({
        field: 'onWarning',
        value: options.onWarning,
        reason: 'expected a function',
      })
    }
    this.maxTokens = options.maxTokens
    this.warningThreshold = threshold
    this.onWarning = options.onWarning
    this.budget = createBudget({
      scopes: ['tracker'],
      limits: [{ scope: 'tracker', name: 'tracker', tokens: options.maxTokens }],
      thresholds: [threshold],
      track: [],
      store: options.store,
    })
  }

  /**
   * Counts an agent's tokens (a number counts as output tokens) and returns its status. Never throws for
   * being over budget: check `isExceeded` (or give `tracker.budget` to an adapter to enforce it).
   */
  async recordUsage(agentId: string, tokens: number | TokenUsage): Promise<TrackerStatus> {
    const usage = typeof tokens === 'number' ? { inputTokens: 0, outputTokens: tokens } : tokens
    if (typeof tokens === 'number') assertAmount(tokens, 'tokens', { integer: true })
    const { warnings } = await this.budget.record(this.context(agentId), usage)
    const status = await this.getStatus(agentId)
    if (warnings.length > 0 && this.onWarning !== undefined) {
      try {
        this.onWarning(agentId, status)
      } catch (error) {
        queueMicrotask(() => console.warn('[tokenwarden] an onWarning handler threw:', error))
      }
    }
    return status
  }

  async getStatus(agentId: string): Promise<TrackerStatus> {
    const [status] = await this.budget.status(this.context(agentId))
    const used = status!.used
    const share = this.maxTokens === 0 ? (used > 0 ? 1 : 0) : used / this.maxTokens
    return {
      used,
      remaining: Math.max(0, this.maxTokens - used),
      percentage: share * 100,
      isWarning: share >= this.warningThreshold,
      isExceeded: used >= this.maxTokens,
    }
  }

  /** Starts the agent over at 0 (a new counter; the old one is left as it was). */
  reset(agentId: string): void {
    assertId(agentId, 'agentId')
    this.generations.set(agentId, (this.generations.get(agentId) ?? 0) + 1)
  }

  /** A progress bar: `[████████░░] 82% (8,200/10,000 tokens)`. */
  async formatStatus(agentId: string): Promise<string> {
    const [status] = await this.budget.status(this.context(agentId))
    return formatStatus(status!)
  }

  private context(agentId: string) {
    assertId(agentId, 'agentId')
    const generation = this.generations.get(agentId)
    // `%` and `#` escaped, so `a` reset once (`a#1`) never shares a counter with an agent named `a#1`
    const id = agentId.replaceAll('%', '%25').replaceAll('#', '%23')
    return { tracker: generation === undefined ? id : `${id}#${generation}` }
  }
}
