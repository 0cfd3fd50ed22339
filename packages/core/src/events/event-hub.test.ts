import { describe, expect, it } from 'vitest'
import { createBudget } from '../budget/create-budget.ts'

const request = { model: 'gpt-4o', inputTokens: 10, maxOutputTokens: 10 }
const usage = { inputTokens: 5, outputTokens: 5 }

async function pair(budget: ReturnType<typeof createBudget>): Promise<void> {
  await (await budget.reserve({ thread: 't' }, request)).settle(usage)
}

describe('event handlers (the hub counts them to skip events nobody listens to)', () => {
  it('should keep calling a handler after another one unsubscribed twice', async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
    const seen: string[] = []
    const off = budget.on('settled', () => seen.push('first'))
    budget.on('settled', () => seen.push('second'))
    off()
    off()
    await pair(budget)
    expect(seen).toEqual(['second'])
  })

  it('should call a handler subscribed twice once, and none once it unsubscribed', async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
    let calls = 0
    const handler = () => calls++
    budget.on('reserved', handler)
    const off = budget.on('reserved', handler)
    await pair(budget)
    expect(calls).toBe(1)
    off()
    await pair(budget)
    expect(calls).toBe(1)
    budget.on('reserved', handler)
    await pair(budget)
    expect(calls).toBe(2)
  })

  it('should deliver events to a handler added after calls without any', async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
    await pair(budget)
    const events: string[] = []
    const off = budget.on('settled', () => events.push('settled'))
    budget.on('reserved', () => events.push('reserved'))
    await pair(budget)
    off()
    await pair(budget)
    expect(events).toEqual(['reserved', 'settled', 'reserved'])
  })
})
