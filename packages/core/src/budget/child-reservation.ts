import type { TokenUsage } from '../usage/token-usage.ts'
import type { Reservation, SettleResult } from './budget.ts'

/**
 * A child budget's reservation: the child's own, which also keeps the child's hold on its parent alive
 * when the call settles or renews its lease (long streams).
 *
 * @example
 * const r = new ChildReservation(await engine.reserve(ctx, request), () => child.keepAlive())
 */
export class ChildReservation implements Reservation {
  private readonly inner: Reservation
  private readonly keepAlive: () => Promise<void>

  constructor(inner: Reservation, keepAlive: () => Promise<void>) {
    this.inner = inner
    this.keepAlive = keepAlive
  }

  get id() {
    return this.inner.id
  }
  get context() {
    return this.inner.context
  }
  get model() {
    return this.inner.model
  }
  get inputTokens() {
    return this.inner.inputTokens
  }
  get maxOutputTokens() {
    return this.inner.maxOutputTokens
  }
  get amount() {
    return this.inner.amount
  }
  get state() {
    return this.inner.state
  }
  get expiresAt() {
    return this.inner.expiresAt
  }
  get leaseMs() {
    return this.inner.leaseMs
  }

  async settle(usage: TokenUsage): Promise<SettleResult> {
    const result = await this.inner.settle(usage)
    await this.keepAlive()
    return result
  }

  release(): Promise<void> {
    return this.inner.release()
  }

  async renew(leaseMs?: number): Promise<boolean> {
    await this.keepAlive()
    return this.inner.renew(leaseMs)
  }
}
