import { createBudget } from '@tokenwarden/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { keepReservationAlive } from './keep-reservation-alive.ts'

describe('keepReservationAlive', () => {
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
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

  it('should keep renewing the other calls of the same lease length when one stops', async () => {
    vi.useFakeTimers()
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], leaseMs: 10_000 })
    const first = await budget.reserve({ thread: 't' }, { inputTokens: 1, maxOutputTokens: 1 })
    const second = await budget.reserve({ thread: 't' }, { inputTokens: 1, maxOutputTokens: 1 })
    const renewFirst = vi.spyOn(first, 'renew')
    const renewSecond = vi.spyOn(second, 'renew')
    const stopFirst = keepReservationAlive(first)
    await vi.advanceTimersByTimeAsync(3_000)
    const stopSecond = keepReservationAlive(second)
    stopFirst()
    await vi.advanceTimersByTimeAsync(9_000)
    expect(renewFirst).not.toHaveBeenCalled()
    // joined 3 s into the shared 5 s period: renewed at 5 s and 10 s, each within half a lease
    expect(renewSecond).toHaveBeenCalledTimes(2)
    stopSecond()
  })

  it('should stop renewing a reservation once it is settled', async () => {
    vi.useFakeTimers()
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], leaseMs: 10_000 })
    const reservation = await budget.reserve({ thread: 't' }, { inputTokens: 1, maxOutputTokens: 1 })
    const renew = vi.spyOn(reservation, 'renew')
    keepReservationAlive(reservation)
    await reservation.settle({ inputTokens: 1, outputTokens: 1 })
    await vi.advanceTimersByTimeAsync(12_000)
    expect(renew).not.toHaveBeenCalled()
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

  it('should clear a web timer (one that cannot be unref’d) as soon as its last call stops', async () => {
    // As on edge-runtime: setInterval returns a number, so a timer left running holds the runtime open.
    const live = new Set<number>()
    let ids = 0
    vi.stubGlobal('setInterval', () => live.add(++ids) && ids) // the timers' ticks do not matter here
    vi.stubGlobal('clearInterval', (id: number) => live.delete(id))
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], leaseMs: 10_000 })
    const first = await budget.reserve({ thread: 't' }, { inputTokens: 1, maxOutputTokens: 1 })
    const second = await budget.reserve({ thread: 't' }, { inputTokens: 1, maxOutputTokens: 1 })
    const stopFirst = keepReservationAlive(first)
    const stopSecond = keepReservationAlive(second)
    expect(live.size).toBe(1) // one timer shared by both calls
    stopFirst()
    expect(live.size).toBe(1)
    stopSecond()
    expect(live.size).toBe(0)
  })
})
