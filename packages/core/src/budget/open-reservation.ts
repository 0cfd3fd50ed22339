import { ReservationClosedError } from '../errors/reservation-closed-error.ts'
import type { Tally } from '../usage/tally.ts'
import type { TokenUsage } from '../usage/token-usage.ts'
import type { Reservation, SettleResult } from './budget.ts'
import type { BudgetContext } from './budget-context.ts'
import type { ResolvedCharge } from './resolve-charges.ts'
import { assertPositive } from './validate-request.ts'

/** What a reservation needs from the budget that made it. */
export interface ReservationOwner {
  readonly leaseMs: number
  readonly clock: () => number
  commit(
    reservationId: string | null,
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    usage: TokenUsage,
    now: number,
    handle?: unknown,
  ): Promise<SettleResult>
  /**
   * Optional: the settle of one of its reservations done synchronously (an owner on an in-process
   * store; it reads the clock itself), throwing instead of rejecting; `settle` then makes no promise but
   * the one it returns.
   */
  readonly commitNow?: ((reservation: OpenReservation, usage: TokenUsage) => SettleResult) | undefined
  release(
    reservationId: string,
    context: BudgetContext,
    model: string | undefined,
    charges: ResolvedCharge[],
    handle?: unknown,
  ): Promise<void>
  renew(reservationId: string, leaseMs: number, handle?: unknown): Promise<boolean>
}

/** A reservation returned by `budget.reserve`: settles, releases or renews itself through its owner. */
export class OpenReservation implements Reservation {
  state: Reservation['state'] = 'open'

  private readonly engine: ReservationOwner
  readonly id: string
  readonly context: BudgetContext
  readonly model: string | undefined
  readonly inputTokens: number
  readonly maxOutputTokens: number
  readonly amount: Tally
  expiresAt: number
  readonly leaseMs: number
  /** @internal The counters its settle charges. */
  readonly charges: ResolvedCharge[]
  /** @internal The store's handle of the lease (see `StoreReserveResult.handle`). */
  readonly handle: unknown

  constructor(
    engine: ReservationOwner,
    id: string,
    context: BudgetContext,
    model: string | undefined,
    inputTokens: number,
    maxOutputTokens: number,
    amount: Tally,
    expiresAt: number,
    leaseMs: number,
    charges: ResolvedCharge[],
    handle?: unknown,
  ) {
    this.engine = engine
    this.id = id
    this.context = context
    this.model = model
    this.inputTokens = inputTokens
    this.maxOutputTokens = maxOutputTokens
    this.amount = amount
    this.expiresAt = expiresAt
    this.leaseMs = leaseMs
    this.charges = charges
    this.handle = handle
  }

  settle(usage: TokenUsage): Promise<SettleResult> {
    if (this.state !== 'open') {
      return Promise.reject(new ReservationClosedError({ reservationId: this.id, state: this.state }))
    }
    const commitNow = this.engine.commitNow
    if (commitNow === undefined) return this.settleLater(usage)
    this.state = 'settled'
    try {
      return Promise.resolve(commitNow(this, usage))
    } catch (error) {
      this.state = 'open'
      return Promise.reject(error)
    }
  }

  private async settleLater(usage: TokenUsage): Promise<SettleResult> {
    this.state = 'settled'
    try {
      return await this.engine.commit(
        this.id,
        this.context,
        this.model,
        this.charges,
        usage,
        this.engine.clock(),
        this.handle,
      )
    } catch (error) {
      this.state = 'open'
      throw error
    }
  }

  async release(): Promise<void> {
    if (this.state !== 'open') return
    this.state = 'released'
    try {
      await this.engine.release(this.id, this.context, this.model, this.charges, this.handle)
    } catch (error) {
      this.state = 'open'
      throw error
    }
  }

  async renew(leaseMs = this.leaseMs): Promise<boolean> {
    assertPositive(leaseMs, 'leaseMs')
    if (this.state !== 'open') return false
    const renewed = await this.engine.renew(this.id, leaseMs, this.handle)
    if (renewed) this.expiresAt = this.engine.clock() + leaseMs
    return renewed
  }
}
