import { createBudget } from '@tokenwarden/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { keepReservationAlive } from './keep-reservation-alive.ts'

describe('keepReservationAlive', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('should renew the lease at half its length until stopped', async () => {
    vi.useFakeTimers()
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], leaseMs: 10_000 })
    const reservation = await budget.reserve({ thread: 't' }, { inputTokens: 1, maxOutputTokens: 1 })
    const renew = vi.spyOn(reservation, 'renew')
    const stop = keepReservationAlive(reservation)
    await vi.advanceTimersByTimeAsync(12_000)
    expect(renew).toHaveBeenCalledTimes(2)
    stop()
    await vi.advanceTimersByTimeAsync(20_000)
    expect(renew).toHaveBeenCalledTimes(2)
  })

  it('should not schedule anything for a lease it cannot trust (an injected clock)', async () => {
    vi.useFakeTimers()
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], now: () => 0 })
    const reservation = await budget.reserve({ thread: 't' }, { inputTokens: 1, maxOutputTokens: 1 })
    const renew = vi.spyOn(reservation, 'renew')
    keepReservationAlive(reservation)
    await vi.advanceTimersByTimeAsync(3_600_000)
    expect(renew).not.toHaveBeenCalled()
  })
})
