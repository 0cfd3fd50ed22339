import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import type { BudgetMode } from '../events/budget-events.ts'
import type { EventHub } from '../events/event-hub.ts'
import { formatWarning } from '../format/format-warning.ts'
import type { CounterState } from '../stores/budget-store.ts'
import type { Tally } from '../usage/tally.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import type { WarningBoard } from '../warnings/warning-board.ts'
import type { BudgetContext } from './budget-context.ts'
import type { ResolvedCharge } from './resolve-charges.ts'

/**
 * Turns counter states into warnings: each threshold once per crossing (posted to the board for the
 * conversations, emitted as a `warning` event), and crossings made by other processes caught up. A
 * failing `messages.warning` template never throws out of here (see `message`).
 */
export class ThresholdWatch {
  private readonly board: WarningBoard
  private readonly events: EventHub
  private readonly mode: BudgetMode
  private readonly template: (warning: Omit<BudgetWarning, 'message' | 'id'>) => string
  private readonly nextId: () => string

  constructor(
    board: WarningBoard,
    events: EventHub,
    mode: BudgetMode,
    template: (warning: Omit<BudgetWarning, 'message' | 'id'>) => string,
    nextId: () => string,
  ) {
    this.board = board
    this.events = events
    this.mode = mode
    this.template = template
    this.nextId = nextId
  }

  /** Threshold crossings of one commit (before = after - usage, per limited unit): posted, emitted, returned. */
  crossings(
    charges: ResolvedCharge[],
    states: CounterState[],
    usage: Tally,
    context: BudgetContext,
  ): BudgetWarning[] {
    let warnings: BudgetWarning[] | undefined
    for (let index = 0; index < charges.length; index++) {
      const resolved = charges[index]!
      const state = states[index]!
      for (const { unit, cap: configured } of resolved.capList) {
        // thresholds are fractions of the limit as grants raised it
        const cap = configured + (state.granted?.[unit] ?? 0)
        const after = state.used[unit]
        const before = after - usage[unit]
        for (const threshold of resolved.limit.thresholds) {
          const level = threshold.at * cap
          if (before < level && after >= level) {
            const warning = this.warning(resolved, unit, cap, after, state.reserved[unit], threshold)
            warnings ??= []
            warnings.push(warning)
            if (this.mode !== 'dry-run')
              this.board.post(resolved.boardKey, warning, resolved.charge.expiresAt)
            if (this.events.has('warning')) this.events.emit('warning', { ...warning, context })
          }
        }
      }
    }
    return warnings ?? []
  }

  /**
   * Another process may have crossed a threshold: when a counter already stands past a threshold this
   * process has not posted, queue the warning for this process's conversations (no event: the
   * process that crossed it emitted one).
   */
  catchUp(charges: ResolvedCharge[], states: CounterState[]): void {
    for (let index = 0; index < charges.length; index++) {
      const resolved = charges[index]!
      const thresholds = resolved.limit.thresholds
      if (thresholds.length === 0) continue
      const state = states[index]!
      for (const { unit, cap: configured } of resolved.capList) {
        const cap = configured + (state.granted?.[unit] ?? 0)
        const used = state.used[unit]
        if (used < thresholds[0]!.at * cap) continue
        let highest = thresholds[0]!
        for (const threshold of thresholds) if (used >= threshold.at * cap) highest = threshold
        if (this.board.postedThreshold(resolved.boardKey, unit) >= highest.at) continue
        this.board.post(
          resolved.boardKey,
          this.warning(resolved, unit, cap, used, state.reserved[unit], highest),
          resolved.charge.expiresAt,
        )
      }
    }
  }

  private warning(
    resolved: ResolvedCharge,
    unit: BudgetWarning['unit'],
    cap: number,
    used: number,
    reserved: number,
    threshold: { at: number; severity: BudgetWarning['severity'] },
  ): BudgetWarning {
    const fields = {
      severity: threshold.severity,
      threshold: threshold.at,
      percentUsed: cap === 0 ? 100 : (used / cap) * 100,
      used,
      remaining: Math.max(0, cap - used - reserved),
      limit: cap,
      unit,
      scope: resolved.limit.scope,
      scopeId: resolved.scopeId,
      limitName: resolved.limit.name,
      period: resolved.limit.period.label,
      resetsAt: resolved.resetsAt,
    }
    return {
      id: this.nextId(),
      ...fields,
      message: this.message(fields),
    }
  }

  /**
   * The warning's text from the `messages.warning` template, run where a throw cannot corrupt state
   * (the store already committed): a template that throws or returns no string is reported as a
   * `handlerError` event and the default text is used.
   */
  private message(fields: Omit<BudgetWarning, 'message' | 'id'>): string {
    try {
      const text: unknown = this.template({ ...fields })
      if (typeof text === 'string') return text
      this.events.fail(
        'messages.warning',
        new BudgetValidationError({
          field: 'messages.warning',
          value: text,
          reason: 'expected the template to return a string',
        }),
      )
    } catch (error) {
      this.events.fail('messages.warning', error)
    }
    return formatWarning(fields)
  }
}
