import type { Budget } from '../budget/budget.ts'
import { createBudget } from '../budget/create-budget.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { assertAmount } from '../limits/validate.ts'
import { type SignalHandlers, SignalHub } from '../signals/signal-hub.ts'
import type { AllocateRequest } from './allocate-request.ts'
import type { ContextSchedulerOptions } from './context-scheduler-options.ts'
import type { AgentHealth, ContextWindow, SchedulerHealthReport, WindowUsage } from './context-window.ts'
import { emitWindowSignal } from './emit-window-signal.ts'
import { extendWindow } from './extend-window.ts'
import { grantWindow } from './grant-window.ts'
import { parseAllocateRequest } from './parse-allocate-request.ts'
import { readAgentHealth } from './read-agent-health.ts'
import { readPoolRemaining } from './read-pool-remaining.ts'
import { readWindowUsage } from './read-window-usage.ts'
import { resolveSchedulerOptions } from './resolve-scheduler-options.ts'
import type { ScheduledWindow } from './scheduled-window.ts'
import { SerialQueue } from './serial-queue.ts'
import { watchWindow } from './watch-window.ts'
import { windowExceededError } from './window-exceeded-error.ts'

export type { AllocateRequest } from './allocate-request.ts'
export type { ContextSchedulerOptions } from './context-scheduler-options.ts'

interface Slot {
  window: ScheduledWindow
  unsubscribe: () => void
}

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
  private readonly queue = new SerialQueue()
  private available: number

  constructor(options: ContextSchedulerOptions) {
    const resolved = resolveSchedulerOptions(options)
    this.totalTokens = resolved.totalTokens
    this.lookupRatio = resolved.lookupRatio
    this.reasoningRatio = resolved.reasoningRatio
    this.warnThreshold = resolved.warnThreshold
    this.criticalReserveTokens = resolved.criticalReserveTokens
    this.defaultWindowTokens = resolved.defaultWindowTokens
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
    const { priority, wanted } = parseAllocateRequest(agentId, request, this.defaultWindowTokens)
    return this.queue.run(async () => {
      if (this.slots.has(agentId)) {
        throw new BudgetValidationError({
          field: 'agentId',
          value: agentId,
          reason: 'the agent already holds a window; release it first',
        })
      }
      const window = await grantWindow(this, { agentId, task: request.task, priority, wanted })
      const unsubscribe = watchWindow(window, this.signals)
      this.slots.set(agentId, { window, unsubscribe })
      this.available = await readPoolRemaining(this.pool)
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
    const result = await readWindowUsage(window)
    if (wasHalted || result.totalUsed > window.total) {
      throw await windowExceededError({
        window,
        usage: result,
        requested: lookupTokens + reasoningTokens,
        halted: wasHalted,
      })
    }
    return result
  }

  /** Adds tokens from the pool to an agent's window; a halted agent that has room again gets SIGRESUME. */
  async replenish(agentId: string, tokens: number): Promise<ContextWindow> {
    const { window } = this.slot(agentId)
    assertAmount(tokens, 'tokens', { integer: true })
    return this.queue.run(async () => {
      await extendWindow(this, window, tokens)
      this.available = await readPoolRemaining(this.pool)
      const { totalUsed } = await readWindowUsage(window)
      if (window.halted && totalUsed < window.total) {
        window.halted = false
        emitWindowSignal(this.signals, 'SIGRESUME', window, totalUsed)
      }
      return window
    })
  }

  /** Ends an agent's window: its usage is charged to the pool and the unused tokens return to it. */
  async release(agentId: string): Promise<{ used: number; returned: number }> {
    const slot = this.slot(agentId)
    return this.queue.run(async () => {
      this.slots.delete(agentId)
      slot.unsubscribe()
      const { usage } = await slot.window.budget.end()
      this.available = await readPoolRemaining(this.pool)
      return { used: usage.tokens, returned: Math.max(0, slot.window.total - usage.tokens) }
    })
  }

  async healthReport(): Promise<SchedulerHealthReport> {
    const agents: AgentHealth[] = []
    for (const { window } of this.slots.values()) agents.push(await readAgentHealth(window))
    this.available = await readPoolRemaining(this.pool)
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
}
