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

  it('should renew by the reservation’s own lease length, whatever clock the budget runs on', async () => {
    vi.useFakeTimers()
    const budget = createBudget({
      limits: [{ scope: 'thread', tokens: 1000 }],
      leaseMs: 60_000,
      now: () => 0,
    })
    const reservation = await budget.reserve({ thread: 't' }, { inputTokens: 1, maxOutputTokens: 1 })
    const renew = vi.spyOn(reservation, 'renew')
    const stop = keepReservationAlive(reservation)
    await vi.advanceTimersByTimeAsync(95_000)
    expect(renew).toHaveBeenCalledTimes(3)
    stop()
  })

  it('should not renew a lease too short for a timer', async () => {
    vi.useFakeTimers()
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], leaseMs: 1_000 })
    const reservation = await budget.reserve({ thread: 't' }, { inputTokens: 1, maxOutputTokens: 1 })
    const renew = vi.spyOn(reservation, 'renew')
    keepReservationAlive(reservation)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(renew).not.toHaveBeenCalled()
  })
})
