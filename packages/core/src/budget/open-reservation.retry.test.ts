import { describe, expect, it } from 'vitest'
import type { BudgetStore } from '../stores/budget-store.ts'
import { memoryStore } from '../stores/memory-store.ts'
import { createBudget } from './create-budget.ts'

/**
 * A store whose next commits land but whose replies are lost (the caller sees an error), as when the
 * network drops after Redis ran the script.
 */
function lossyStore(): BudgetStore & { loseNextReplies(count: number): void } {
  const inner = memoryStore()
  let lose = 0
  return {
    name: 'lossy',
    reserve: (request) => inner.reserve(request),
    async commit(request) {
      const result = await inner.commit(request)
      if (lose > 0) {
        lose--
        throw new Error('connection reset before the reply')
      }
      return result
    },
    renew: (request) => inner.renew(request),
    read: (request) => inner.read(request),
    list: (request) => inner.list(request),
    loseNextReplies(count) {
      lose = count
    },
  }
}

const ctx = { thread: 't' }

describe('reservation.settle (retries)', () => {
  it('should count a settle once when it is retried after its commit landed but the reply was lost', async () => {
    const store = lossyStore()
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], store })
    const settled: unknown[] = []
    budget.on('settled', (event) => settled.push(event))
    const r = await budget.reserve(ctx, { inputTokens: 100, maxOutputTokens: 100 })
    store.loseNextReplies(1)
    await expect(r.settle({ inputTokens: 100, outputTokens: 50 })).rejects.toThrow(/connection reset/)
    expect(r.state).toBe('open')
    await r.settle({ inputTokens: 100, outputTokens: 50 })
    expect(r.state).toBe('settled')
    expect((await budget.status(ctx))[0]).toMatchObject({ used: 150, reserved: 0 })
    expect(settled).toHaveLength(1)
  })

  it('should add nothing when a release is retried after a settle that landed', async () => {
    const store = lossyStore()
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], store })
    const r = await budget.reserve(ctx, { inputTokens: 100, maxOutputTokens: 100 })
    store.loseNextReplies(1)
    await expect(r.settle({ inputTokens: 100, outputTokens: 50 })).rejects.toThrow()
    await r.release()
    expect((await budget.status(ctx))[0]).toMatchObject({ used: 150, reserved: 0 })
  })

  it('should count a record once when its store delivers it twice', async () => {
    const inner = memoryStore()
    const twice: BudgetStore = {
      ...inner,
      name: 'twice',
      reserveSync: undefined,
      commitSync: undefined,
      // a driver that resends must not pass the in-process hint `once` on
      async commit({ once: _once, ...request }) {
        await inner.commit(request)
        return inner.commit(request)
      },
    }
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], store: twice })
    await budget.record(ctx, { inputTokens: 30, outputTokens: 10 })
    await budget.record(ctx, { inputTokens: 30, outputTokens: 10 })
    expect((await budget.status(ctx))[0]).toMatchObject({ used: 80 })
  })
})
