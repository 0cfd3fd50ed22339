import type { Budget, BudgetOptions } from '../budget/budget.ts'
import { createBudget } from '../budget/create-budget.ts'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { assertAmount, assertId } from '../limits/validate.ts'
import type { AgentSignal } from '../signals/agent-signal.ts'
import { type SignalHandlers, SignalHub } from '../signals/signal-hub.ts'
import type { AgentHealth, ContextWindow, SchedulerHealthReport, WindowUsage } from './context-window.ts'
import { minimumGrants, Priority } from './priority.ts'

/** Options of {@link ContextScheduler}. */
export interface ContextSchedulerOptions {
  /** The shared pool, in tokens. */
  totalTokens: number
  /** Share of a window for lookup (context, input); the rest is for reasoning. @default 0.9 */
  lookupRatio?: number
  /** Share of a window at which SIGWARN fires. @default 0.8 */
  warnThreshold?: number
  /** A window's size when `allocate` gives no `maxTokens`. @default 8000 */
  defaultWindowTokens?: number
  /** Tokens only CRITICAL allocations may take. @default 4000 (one CRITICAL minimum grant) */
  criticalReserveTokens?: number
  /** Options of the pool's budget (store, prices, clock, lease…); its limits are the pool. */
  budget?: Omit<BudgetOptions, 'limits' | 'thresholds'>
}

/** What `allocate` needs. */
export interface AllocateRequest {
  task?: string
  /** @default 'NORMAL' */
  priority?: Priority
  /** The window wanted; less is granted when the pool is tight, down to the priority's minimum. */
  maxTokens?: number
}

interface Slot {
  window: ContextWindow & { total: number; lookupBudget: number; reasoningBudget: number; halted: boolean }
  unsubscribe: () => void
}

const priorities = new Set<string>(Object.values(Priority))

/**
 * A kernel-style scheduler over a shared token pool: each agent gets a window carved from the pool (a
 * child budget, so the pool can never be over-granted), split 90/10 between lookup and reasoning, with
 * signals: SIGWARN at the warn threshold (once per crossing), SIGSTOP at 100 % (the agent is halted:
 * further usage throws until it is replenished), SIGRESUME when it is replenished. The scheduler's own
 * operations run one at a time. A window's `budget` can be the budget an adapter enforces.
 *
 * @example
 * const scheduler = new ContextScheduler({ totalTokens: 100_000 })
 * scheduler.on('SIGSTOP', ({ agentId }) => console.log(agentId, 'halted'))
 * const window = await scheduler.allocate('researcher', { task: 'search', priority: 'HIGH', maxTokens: 8000 })
 * await scheduler.recordUsage('researcher', { lookupTokens: 3000, reasoningTokens: 400 })
 * await scheduler.release('researcher') // the unused tokens return to the pool
 */
export class ContextScheduler {
  readonly totalTokens: number
  readonly lookupRatio: number
  readonly reasoningRatio: number
  readonly warnThreshold: number
  readonly criticalReserveTokens: number
  readonly defaultWindowTokens: number
  /** The pool: a budget with one global limit of `totalTokens`. */
  readonly pool: Budget
  private readonly signals = new SignalHub()
  private readonly slots = new Map<string, Slot>()
  private queue: Promise<unknown> = Promise.resolve()
  private available: number

  constructor(options: ContextSchedulerOptions) {
    if (options === null || typeof options !== 'object') {
      throw new BudgetValidationError({
        field: 'options',
        value: options,
        reason: 'expected { totalTokens }',
      })
    }
    assertAmount(options.totalTokens, 'totalTokens', { integer: true })
    this.totalTokens = options.totalTokens
    this.lookupRatio = share(options.lookupRatio ?? 0.9, 'lookupRatio', true)
    this.reasoningRatio = 1 - this.lookupRatio
    this.warnThreshold = share(options.warnThreshold ?? 0.8, 'warnThreshold', false)
    this.criticalReserveTokens = options.criticalReserveTokens ?? minimumGrants.CRITICAL
    assertAmount(this.criticalReserveTokens, 'criticalReserveTokens', { integer: true })
    this.defaultWindowTokens = options.defaultWindowTokens ?? 8000
    assertAmount(this.defaultWindowTokens, 'defaultWindowTokens', { integer: true })
    this.pool = createBudget({
      track: [],
      ...options.budget,
      limits: [{ scope: 'global', name: 'pool', tokens: this.totalTokens }],
      thresholds: [],
    })
    this.available = this.totalTokens
  }

  /** Tokens of the pool not granted to a window nor used (as of the last scheduler operation). */
  get availableTokens(): number {
    return this.available
  }

  /** Share of the pool granted or used (0 … 1). */
  get utilization(): number {
    return this.totalTokens === 0 ? 1 : (this.totalTokens - this.available) / this.totalTokens
  }

  /** Agents holding a window. */
  get activeCount(): number {
    return this.slots.size
  }

  on<S extends keyof SignalHandlers>(signal: S, handler: SignalHandlers[S]): () => void {
    return this.signals.on(signal, handler)
  }

  /** The agent's window, if it holds one. */
  window(agentId: string): ContextWindow | undefined {
    return this.slots.get(agentId)?.window
  }

  /**
   * Grants `agentId` a window: `maxTokens` (default `defaultWindowTokens`) or what the pool has left,
   * but never less than the priority's minimum grant (`BudgetExceededError` then). Only CRITICAL may take
   * the critical reserve.
   */
  async allocate(agentId: string, request: AllocateRequest = {}): Promise<ContextWindow> {
    assertId(agentId, 'agentId')
    const priority = request.priority ?? Priority.NORMAL
    if (!priorities.has(priority)) {
      throw new BudgetValidationError({
        field: 'request.priority',
        value: priority,
        reason: "expected 'CRITICAL', 'HIGH', 'NORMAL' or 'LOW'",
      })
    }
    if (request.task !== undefined) assertId(request.task, 'request.task')
    const wanted = request.maxTokens ?? this.defaultWindowTokens
    assertAmount(wanted, 'request.maxTokens', { integer: true })
    if (wanted === 0) {
      throw new BudgetValidationError({ field: 'request.maxTokens', value: wanted, reason: 'expected > 0' })
    }
    return this.exclusive(async () => {
      if (this.slots.has(agentId)) {
        throw new BudgetValidationError({
          field: 'agentId',
          value: agentId,
          reason: 'the agent already holds a window; release it first',
        })
      }
      const left = await this.poolRemaining()
      const usable = priority === Priority.CRITICAL ? left : Math.max(0, left - this.criticalReserveTokens)
      const needed = Math.min(wanted, minimumGrants[priority])
      const granted = Math.min(wanted, usable)
      if (granted < needed) throw this.refusal(agentId, needed, usable)
      const budget = await this.pool.child(
        {},
        {
          tokens: granted,
          name: agentId,
          thresholds:
            this.warnThreshold < 1
              ? [
                  { at: this.warnThreshold, severity: 'warning' },
                  { at: 1, severity: 'final' },
                ]
              : [{ at: 1, severity: 'final' }],
        },
      )
      const window = {
        agentId,
        task: request.task,
        priority,
        total: granted,
        lookupBudget: 0,
        reasoningBudget: 0,
        lookupRatio: this.lookupRatio,
        reasoningRatio: this.reasoningRatio,
        halted: false,
        budget,
      }
      split(window, this.lookupRatio)
      const unsubscribe = budget.on('warning', (warning) => {
        if (warning.threshold < 1) this.signal('SIGWARN', window, warning.used)
        else if (!window.halted) {
          window.halted = true
          this.signal('SIGSTOP', window, warning.used)
        }
      })
      this.slots.set(agentId, { window, unsubscribe })
      this.available = await this.poolRemaining()
      return window
    })
  }

  /**
   * Counts an agent's usage on its window. Throws `BudgetExceededError` when the usage passes the window
   * or the agent is halted (the usage is still counted: it happened).
   */
  async recordUsage(
    agentId: string,
    usage: { lookupTokens?: number; reasoningTokens?: number },
  ): Promise<WindowUsage> {
    const { window } = this.slot(agentId)
    const lookupTokens = usage?.lookupTokens ?? 0
    const reasoningTokens = usage?.reasoningTokens ?? 0
    assertAmount(lookupTokens, 'usage.lookupTokens', { integer: true })
    assertAmount(reasoningTokens, 'usage.reasoningTokens', { integer: true })
    const wasHalted = window.halted
    await window.budget.record(
      { agent: agentId, task: window.task },
      { inputTokens: lookupTokens, outputTokens: reasoningTokens },
    )
    const result = await this.usageOf(window)
    if (wasHalted || result.totalUsed > window.total) {
      const [status] = await window.budget.status({})
      throw new BudgetExceededError({
        scope: 'agent',
        scopeId: agentId,
        limitName: status!.limitName,
        unit: 'tokens',
        limit: window.total,
        used: result.totalUsed,
        reserved: status!.reserved,
        requested: lookupTokens + reasoningTokens,
        remaining: result.remaining,
        period: 'none',
        resetsAt: null,
        message: wasHalted
          ? `budget exceeded: agent "${agentId}" is halted (SIGSTOP) until its window is replenished`
          : undefined,
      })
    }
    return result
  }

  /** Adds tokens from the pool to an agent's window; a halted agent that has room again gets SIGRESUME. */
  async replenish(agentId: string, tokens: number): Promise<ContextWindow> {
    const { window } = this.slot(agentId)
    assertAmount(tokens, 'tokens', { integer: true })
    return this.exclusive(async () => {
      const left = await this.poolRemaining()
      const usable =
        window.priority === Priority.CRITICAL ? left : Math.max(0, left - this.criticalReserveTokens)
      if (tokens > usable) throw this.refusal(agentId, tokens, usable)
      await window.budget.extend({ tokens })
      window.total += tokens
      split(window, this.lookupRatio)
      this.available = await this.poolRemaining()
      const { totalUsed } = await this.usageOf(window)
      if (window.halted && totalUsed < window.total) {
        window.halted = false
        this.signal('SIGRESUME', window, totalUsed)
      }
      return window
    })
  }

  /** Ends an agent's window: its usage is charged to the pool and the unused tokens return to it. */
  async release(agentId: string): Promise<{ used: number; returned: number }> {
    const slot = this.slot(agentId)
    return this.exclusive(async () => {
      this.slots.delete(agentId)
      slot.unsubscribe()
      const { usage } = await slot.window.budget.end()
      this.available = await this.poolRemaining()
      return { used: usage.tokens, returned: Math.max(0, slot.window.total - usage.tokens) }
    })
  }

  async healthReport(): Promise<SchedulerHealthReport> {
    const agents: AgentHealth[] = []
    for (const { window } of this.slots.values()) {
      agents.push({
        agentId: window.agentId,
        task: window.task,
        priority: window.priority,
        total: window.total,
        halted: window.halted,
        ...(await this.usageOf(window)),
      })
    }
    this.available = await this.poolRemaining()
    return {
      totalTokens: this.totalTokens,
      availableTokens: this.available,
      criticalReserveTokens: this.criticalReserveTokens,
      utilization: this.utilization,
      activeCount: this.slots.size,
      agents,
    }
  }

  private slot(agentId: string): Slot {
    const slot = this.slots.get(agentId)
    if (slot === undefined) {
      throw new BudgetValidationError({
        field: 'agentId',
        value: agentId,
        reason: 'the agent holds no window',
      })
    }
    return slot
  }

  private async usageOf(window: ContextWindow): Promise<WindowUsage> {
    const [status] = await window.budget.status({})
    const totalUsed = status!.used
    return {
      totalUsed,
      remaining: Math.max(0, window.total - totalUsed),
      utilization: window.total === 0 ? 1 : totalUsed / window.total,
    }
  }

  private async poolRemaining(): Promise<number> {
    const [status] = await this.pool.status({})
    return status!.remaining
  }

  private refusal(agentId: string, requested: number, remaining: number): BudgetExceededError {
    return new BudgetExceededError({
      scope: 'scheduler',
      scopeId: agentId,
      limitName: 'pool',
      unit: 'tokens',
      limit: this.totalTokens,
      used: this.totalTokens - this.available,
      reserved: 0,
      requested,
      remaining,
      period: 'none',
      resetsAt: null,
    })
  }

  private signal(signal: AgentSignal, window: ContextWindow, used: number): void {
    this.signals.emit({
      signal,
      agentId: window.agentId,
      used,
      total: window.total,
      remaining: Math.max(0, window.total - used),
      utilization: window.total === 0 ? 1 : used / window.total,
    })
  }

  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(run)
    this.queue = result.catch(() => undefined)
    return result
  }
}

function split(window: { total: number; lookupBudget: number; reasoningBudget: number }, ratio: number) {
  window.lookupBudget = Math.floor(window.total * ratio)
  window.reasoningBudget = window.total - window.lookupBudget
}

function share(value: unknown, field: string, allowZero: boolean): number {
  if (typeof value !== 'number' || !(allowZero ? value >= 0 : value > 0) || value > 1) {
    throw new BudgetValidationError({
      field,
      value,
      reason: `expected a share in ${allowZero ? '[0' : '(0'}, 1]`,
    })
  }
  return value
}
