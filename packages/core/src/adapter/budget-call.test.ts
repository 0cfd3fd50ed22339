import { BudgetExceededError, createBudget, memoryStore } from '@tokenwarden/core'
import { estimateCallInput, startBudgetCall } from '@tokenwarden/core/adapter'
import { afterEach, describe, expect, it, vi } from 'vitest'

const context = { thread: 't-1' }
const input = { messages: ['Say hello'] }

function newBudget(tokens = 1_000_000, options: { leaseMs?: number } = {}) {
  return createBudget({ limits: [{ scope: 'thread', tokens }], store: memoryStore(), ...options })
}

async function held(budget: ReturnType<typeof newBudget>) {
  const [limit] = await budget.status(context)
  return { used: limit!.used, reserved: limit!.reserved }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('startBudgetCall', () => {
  describe('success', () => {
    it('should settle the provider usage once and ignore later closes', async () => {
      const budget = newBudget()
      const call = await startBudgetCall(budget, { context, model: 'm', input, maxOutputTokens: 50 })
      expect(call.maxOutputTokens).toBe(50)
      expect((await held(budget)).reserved).toBe(call.inputTokens + 50)
      const settled = await call.finish({ inputTokens: 10, outputTokens: 5 })
      expect(settled?.usage.tokens).toBe(15)
      expect(await call.finish({ inputTokens: 999, outputTokens: 999 })).toBeUndefined()
      await call.fail()
      await call.close()
      expect(call.state).toBe('finished')
      expect(await held(budget)).toEqual({ used: 15, reserved: 0 })
    })

    it('should settle from the estimate and counted output when no usage came', async () => {
      const budget = newBudget()
      const call = await startBudgetCall(budget, { context, input, maxOutputTokens: 50 })
      call.countOutput('Hello there, friend.')
      const settled = await call.finish(undefined)
      expect(settled?.usage.tokens).toBe(call.inputTokens + call.outputTokens)
      expect(call.outputTokens).toBe(budget.estimator.count('Hello there, friend.'))
    })

    it('should settle NaN or negative usage from the estimate and report the fields', async () => {
      const budget = newBudget()
      const rejected: string[][] = []
      budget.on('usageRejected', (event) => rejected.push([...event.fields]))
      const call = await startBudgetCall(budget, { context, input, maxOutputTokens: 50 })
      const settled = await call.finish({ inputTokens: Number.NaN, outputTokens: -3 }, { outputTokens: 7 })
      expect(settled?.usage.tokens).toBe(call.inputTokens + 7)
      expect(rejected).toEqual([['inputTokens', 'outputTokens']])
    })

    it('should count the output text given when the provider reported no output', async () => {
      const budget = newBudget()
      const call = await startBudgetCall(budget, { context, input, maxOutputTokens: 50 })
      const text = 'A reply of several words.'
      const settled = await call.finish({ inputTokens: 10 }, { outputText: () => text })
      expect(settled?.usage.tokens).toBe(10 + budget.estimator.count(text))
    })
  })

  describe('failure', () => {
    it('should leave the call open when its output estimate throws, so close() still releases it', async () => {
      const budget = newBudget()
      const call = await startBudgetCall(budget, { context, input, maxOutputTokens: 50 })
      const broken = () => {
        throw new Error('content is not iterable')
      }
      await expect(call.finish(undefined, { outputTokens: broken })).rejects.toThrow(
        'content is not iterable',
      )
      expect(call.state).toBe('open')
      await call.close()
      expect(call.state).toBe('failed')
      expect(await held(budget)).toEqual({ used: 0, reserved: 0 })
    })

    it('should release on a provider error and give the warnings back', async () => {
      const budget = newBudget(1_000)
      await budget.record(context, { inputTokens: 800, outputTokens: 0 })
      const call = await startBudgetCall(budget, { context, input, maxOutputTokens: 10 })
      expect(call.notice).toContain('80%')
      expect(call.inputTokens).toBe(
        estimateCallInput(input, budget.estimator) + 4 + budget.estimator.count(call.notice!),
      )
      await call.fail()
      expect(call.state).toBe('failed')
      expect(await held(budget)).toEqual({ used: 800, reserved: 0 })
      expect(budget.takeWarnings(context)).toHaveLength(1)
    })

    it('should close a call whose adapter code threw, in a finally', async () => {
      const budget = newBudget()
      const run = async () => {
        const call = await startBudgetCall(budget, { context, input })
        try {
          throw new Error('adapter bug')
        } finally {
          await call.close()
        }
      }
      await expect(run()).rejects.toThrow('adapter bug')
      expect(await held(budget)).toEqual({ used: 0, reserved: 0 })
    })

    it('should close with await using where the runtime disposes', async () => {
      const budget = newBudget()
      const call = await startBudgetCall(budget, { context, input })
      const dispose = (Symbol as { asyncDispose?: symbol }).asyncDispose
      if (dispose === undefined) return
      await (call as unknown as Record<symbol, () => Promise<void>>)[dispose]!()
      expect(call.state).toBe('failed')
    })

    it('should restore the warnings of a refused call and throw', async () => {
      const budget = newBudget(1_000)
      await budget.record(context, { inputTokens: 800, outputTokens: 0 })
      await expect(startBudgetCall(budget, { context, input, maxOutputTokens: 500 })).rejects.toSatisfy(
        BudgetExceededError.isInstance,
      )
      expect(budget.takeWarnings(context)).toHaveLength(1)
      expect((await held(budget)).reserved).toBe(0)
    })
  })

  describe('output cap', () => {
    it('should reserve the default output but send no cap when the caller set none', async () => {
      const budget = newBudget()
      const call = await startBudgetCall(budget, { context, input })
      expect(call.maxOutputTokens).toBeUndefined()
      expect(call.reservation.maxOutputTokens).toBe(budget.defaultMaxOutputTokens)
      await call.close()
    })

    it('should say when the default output reservation is what the budget cannot afford, and name the fixes', async () => {
      const budget = newBudget(1_000)
      const refusal = async (options: Partial<Parameters<typeof startBudgetCall>[1]>) => {
        const error: unknown = await startBudgetCall(budget, { context, input, ...options }).then(
          () => undefined,
          (thrown: unknown) => thrown,
        )
        if (!BudgetExceededError.isInstance(error)) throw new Error('expected a BudgetExceededError')
        return error
      }
      const fromDefault = await refusal({})
      expect(fromDefault).toMatchObject({ outputFromDefault: true, defaultOutputTokens: 4096 })
      expect(fromDefault.message).toContain('because the call set no output limit')
      expect(fromDefault.message).toMatch(/maxOutputTokens.*defaultMaxOutputTokens.*clamp/)
      expect(fromDefault.toJSON()).toMatchObject({ outputFromDefault: true, defaultOutputTokens: 4096 })
      // The adapter's own default is named the same way.
      expect(await refusal({ defaultMaxOutputTokens: 2_000 })).toMatchObject({ defaultOutputTokens: 2_000 })
      // The caller's own limit, or an input that alone does not fit, is a plain refusal.
      const ownLimit = await refusal({ maxOutputTokens: 5_000 })
      expect(ownLimit.outputFromDefault).toBe(false)
      expect(ownLimit.message).not.toContain('no output limit')
      const tooLong = await refusal({ input: { messages: ['x'.repeat(8_000)] } })
      expect(tooLong).toMatchObject({ outputFromDefault: false, defaultOutputTokens: undefined })
      // budget.reserve without maxOutputTokens reserves the budget's default: the same hint.
      await expect(budget.reserve(context, { inputTokens: 10 })).rejects.toMatchObject({
        outputFromDefault: true,
      })
      expect((await held(budget)).reserved).toBe(0)
    })

    it('should send the clamped cap when the budget binds', async () => {
      const budget = newBudget(1_000)
      const call = await startBudgetCall(budget, { context, input, clamp: true })
      expect(call.maxOutputTokens).toBe(1_000 - call.inputTokens)
      await call.close()
    })

    it('should say when the counted output passes the reservation', async () => {
      const budget = newBudget()
      const call = await startBudgetCall(budget, { context, input, maxOutputTokens: 2 })
      call.countOutput('a long enough answer')
      expect(call.overReservation).toBe(true)
      expect(call.shouldStop).toBe(false) // not started with stopAtReservation
      await call.finish()
    })

    it('should say a stream should stop once its output passes the reservation, while it is open', async () => {
      const budget = newBudget()
      const call = await startBudgetCall(budget, {
        context,
        input,
        maxOutputTokens: 2,
        stopAtReservation: true,
      })
      call.countOutput('ok')
      expect(call.shouldStop).toBe(false)
      call.countOutput(' and then a long enough answer')
      expect(call.shouldStop).toBe(true)
      await call.finish()
      expect(call.shouldStop).toBe(false)
    })
  })

  describe('progress', () => {
    it('should close a stalled call from its estimate after the stall timeout', async () => {
      vi.useFakeTimers()
      const budget = newBudget()
      const onStall = vi.fn()
      const call = await startBudgetCall(budget, {
        context,
        input,
        maxOutputTokens: 50,
        stallMs: 1_000,
        onStall,
      })
      call.markSent()
      call.countOutput('partial')
      await vi.advanceTimersByTimeAsync(1_000)
      expect(call.state).toBe('open')
      await vi.advanceTimersByTimeAsync(2_000)
      expect(call.state).toBe('stalled')
      expect(onStall).toHaveBeenCalledOnce()
      expect(await held(budget)).toEqual({ used: call.inputTokens + call.outputTokens, reserved: 0 })
      expect(await call.finish({ inputTokens: 1, outputTokens: 1 })).toBeUndefined()
    })

    it('should close a stalled call from its reservation when counting its output throws', async () => {
      vi.useFakeTimers()
      const estimator = {
        count: (text: string) => {
          if (text === 'boom') throw new Error('estimator failed')
          return Math.ceil(text.length / 4)
        },
      }
      const budget = createBudget({
        limits: [{ scope: 'thread', tokens: 1_000_000 }],
        store: memoryStore(),
        estimator,
      })
      const onStall = vi.fn()
      const call = await startBudgetCall(budget, {
        context,
        input,
        maxOutputTokens: 50,
        stallMs: 1_000,
        onStall,
      })
      call.markSent()
      call.countOutput('boom')
      await vi.advanceTimersByTimeAsync(3_000)
      expect(call.state).toBe('stalled')
      expect(onStall).toHaveBeenCalledOnce()
      expect(await held(budget)).toEqual({ used: call.inputTokens + 50, reserved: 0 })
    })

    it('should renew the lease of a call that makes progress and not of one that stalls', async () => {
      vi.useFakeTimers()
      const budget = newBudget(1_000_000, { leaseMs: 4_000 })
      const call = await startBudgetCall(budget, { context, input, maxOutputTokens: 50, stallMs: 3_000 })
      const renew = vi.spyOn(call.reservation, 'renew')
      for (let i = 0; i < 10; i++) {
        call.progress()
        await vi.advanceTimersByTimeAsync(1_000)
      }
      expect(renew).toHaveBeenCalled()
      expect(call.state).toBe('open')
      const renewals = renew.mock.calls.length
      await vi.advanceTimersByTimeAsync(10_000)
      expect(call.state).toBe('stalled')
      expect(renew.mock.calls.length).toBeLessThanOrEqual(renewals + 1)
    })

    it('should release a call that was never sent once it stalls (an abandoned call)', async () => {
      vi.useFakeTimers()
      const budget = newBudget(1_000_000, { leaseMs: 4_000 })
      await budget.record(context, { inputTokens: 800_000, outputTokens: 0 })
      const call = await startBudgetCall(budget, { context, input, stallMs: 1_000 })
      expect(call.notice).toBeDefined()
      await vi.advanceTimersByTimeAsync(2_000)
      expect(call.state).toBe('stalled')
      expect(await held(budget)).toEqual({ used: 800_000, reserved: 0 })
      expect(budget.takeWarnings(context)).toHaveLength(1)
    })

    it('should record a late result of a call released before it was known to be sent', async () => {
      vi.useFakeTimers()
      const budget = newBudget(1_000_000, { leaseMs: 4_000 })
      const call = await startBudgetCall(budget, { context, model: 'm', input, stallMs: 1_000 })
      await vi.advanceTimersByTimeAsync(2_000)
      expect(call.state).toBe('stalled')
      expect(await held(budget)).toEqual({ used: 0, reserved: 0 })
      const recorded = await call.finish({ inputTokens: 10, outputTokens: 5 })
      expect(recorded?.usage.tokens).toBe(15)
      expect(await call.finish({ inputTokens: 10, outputTokens: 5 })).toBeUndefined()
      expect(await held(budget)).toEqual({ used: 15, reserved: 0 })
    })

    it('should keep a sent call alive until its first progress (its provider call in flight)', async () => {
      vi.useFakeTimers()
      const budget = newBudget(1_000_000, { leaseMs: 4_000 })
      const call = await startBudgetCall(budget, { context, input, stallMs: 1_000 })
      call.markSent()
      const renew = vi.spyOn(call.reservation, 'renew')
      await vi.advanceTimersByTimeAsync(10_000)
      expect(call.state).toBe('open')
      expect(renew).toHaveBeenCalled()
      call.progress()
      await vi.advanceTimersByTimeAsync(2_000)
      expect(call.state).toBe('stalled')
    })

    it('should reject a stall timeout that is not a positive duration', async () => {
      await expect(startBudgetCall(newBudget(), { context, input, stallMs: 0 })).rejects.toMatchObject({
        field: 'stallMs',
      })
    })
  })

  describe('conversation', () => {
    it('should floor a chained call by what the chain last used', async () => {
      const budget = newBudget()
      const first = await startBudgetCall(budget, { context, input, maxOutputTokens: 50 })
      await first.finish({ inputTokens: 2_000, outputTokens: 100 }, { conversation: 'resp_1' })
      const second = await startBudgetCall(budget, {
        context,
        input: { messages: ['And then?'], conversation: 'resp_1' },
        maxOutputTokens: 50,
      })
      expect(second.inputTokens).toBe(
        2_100 + estimateCallInput({ messages: ['And then?'] }, budget.estimator),
      )
      await second.close()
      const other = await startBudgetCall(budget, {
        context,
        input: { messages: ['And then?'], conversation: 'resp_unknown' },
      })
      expect(other.inputTokens).toBe(estimateCallInput({ messages: ['And then?'] }, budget.estimator))
      await other.close()
    })
  })
})

describe('estimateCallInput', () => {
  const estimator = { count: (text: string) => Math.ceil(text.length / 4) }

  it('should count text, json, tools and the output schema with a per-message overhead', () => {
    expect(
      estimateCallInput(
        {
          messages: [
            'abcd',
            [
              { type: 'text', text: 'abcdabcd' },
              { type: 'json', value: { a: 1 } },
            ],
          ],
          tools: [{ name: 'search' }],
          responseSchema: { type: 'object' },
        },
        estimator,
      ),
    ).toBe(4 + 1 + 4 + 2 + 2 + 5 + 5)
  })

  it('should size images from dimensions or a PNG header, files and audio from bytes', () => {
    const png = new Uint8Array(24)
    png.set([0x89, 0x50, 0x4e, 0x47], 0)
    new DataView(png.buffer).setUint32(16, 1024)
    new DataView(png.buffer).setUint32(20, 1024)
    const image = estimateCallInput({ messages: [[{ type: 'image', data: png }]] }, estimator)
    expect(image).toBe(4 + 85 + 170 * 4) // 1024² → 768² → 2×2 tiles
    expect(estimateCallInput({ messages: [[{ type: 'image', width: 512, height: 512 }]] }, estimator)).toBe(
      4 + 85 + 170,
    )
    expect(estimateCallInput({ messages: [[{ type: 'audio', seconds: 30 }]] }, estimator)).toBe(4 + 300)
    expect(
      estimateCallInput({ messages: [[{ type: 'file', data: new Uint8Array(1_000_000) }]] }, estimator),
    ).toBe(4 + 30_000)
    expect(
      estimateCallInput(
        { messages: [[{ type: 'image', data: new URL('https://x.test/a.png') }]] },
        estimator,
      ),
    ).toBe(4 + 1024)
  })
})
