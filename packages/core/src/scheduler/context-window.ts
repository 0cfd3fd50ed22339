import type { ChildBudget } from '../budget/child-budget.ts'
import type { Priority } from './priority.ts'

/**
 * An agent's share of a {@link ContextScheduler}'s pool, split into a lookup (context, input) part and a
 * reasoning (output) part. `budget` is a child budget of the pool: give it to an adapter to enforce the
 * window on real model calls.
 *
 * @example
 * const window = await scheduler.allocate('researcher', { task: 'search', priority: 'HIGH', maxTokens: 8000 })
 * const model = wrapLanguageModel({ model, middleware: budgetMiddleware({ budget: window.budget }) })
 */
export interface ContextWindow {
  readonly agentId: string
  readonly task: string | undefined
  readonly priority: Priority
  /** The window's tokens (grows with `replenish`). */
  readonly total: number
  readonly lookupBudget: number
  readonly reasoningBudget: number
  readonly lookupRatio: number
  readonly reasoningRatio: number
  /** Halted by SIGSTOP until replenished. */
  readonly halted: boolean
  readonly budget: ChildBudget
}

/**
 * What `recordUsage` returns.
 *
 * @example
 * const { remaining, utilization } = await scheduler.recordUsage('researcher', { lookupTokens: 1200 })
 */
export interface WindowUsage {
  totalUsed: number
  remaining: number
  /** totalUsed / total (0 … 1, may pass 1). */
  utilization: number
}

/**
 * One agent in a scheduler health report.
 *
 * @example
 * for (const agent of (await scheduler.healthReport()).agents) console.log(agent.agentId, agent.utilization)
 */
export interface AgentHealth extends WindowUsage {
  agentId: string
  task: string | undefined
  priority: Priority
  total: number
  halted: boolean
}

/**
 * The state of a scheduler's pool and windows.
 *
 * @example
 * const report: SchedulerHealthReport = await scheduler.healthReport()
 */
export interface SchedulerHealthReport {
  totalTokens: number
  availableTokens: number
  criticalReserveTokens: number
  /** Share of the pool granted or used (0 … 1). */
  utilization: number
  activeCount: number
  agents: AgentHealth[]
}
