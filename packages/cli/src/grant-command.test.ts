import { createBudget, memoryStore } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { CliError } from './cli-error.ts'
import { type GrantArguments, grantCommand } from './grant-command.ts'

const now = Date.UTC(2026, 11, 2, 10)
const config = {
  limits: [
    { scope: 'thread' as const, tokens: 3000 },
    { scope: 'user' as const, name: 'user/day', tokens: 5000, costUsd: 1, period: 'day' as const },
  ],
}

function args(
  target: string[],
  units: Record<string, string>,
  extra: Partial<GrantArguments> = {},
): GrantArguments {
  return { target, units, limitName: undefined, grantId: undefined, ...extra }
}

async function messageOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run()
  } catch (error) {
    if (CliError.isInstance(error)) return error.message
    throw error
  }
  return 'no error'
}

describe('grantCommand', () => {
  it('should raise the scope value and print its raised limits', async () => {
    const store = memoryStore()
    const table = await grantCommand(
      store,
      config,
      args(['user', 'u-1'], { tokens: '2000', 'cost-usd': '0.5' }),
      now,
    )
    expect(table).toContain('user   u-1  day     0 / 7,000 tokens (2,000 granted)')
    expect(table).toContain('$0.00 / $1.50 ($0.50 granted)')
    // every process reading the store sees it
    const budget = createBudget({ ...config, store, now: () => now })
    expect(await budget.status({ user: 'u-1' })).toMatchObject([
      { limit: 7000, granted: 2000 },
      { limit: 1.5 },
    ])
  })

  it('should apply a --grant-id once', async () => {
    const store = memoryStore()
    const again = args(['thread', 't-1'], { tokens: '100' }, { grantId: 'ticket-42' })
    await grantCommand(store, config, again, now)
    const second = await grantCommand(store, config, again, now)
    expect(second).toMatch(/^grant ticket-42 was already applied: nothing added\n/)
    expect(second).toContain('0 / 3,100 tokens (100 granted)')
  })

  it('should refuse what it cannot apply, saying why', async () => {
    const store = memoryStore()
    const cases: [GrantArguments, typeof config | undefined, RegExp][] = [
      [args(['thread', 't-1'], { tokens: '5' }), undefined, /needs --config/],
      [args([], { tokens: '5' }), config, /needs the scope and its id/],
      [args(['thread'], { tokens: '5' }), config, /needs the thread's id/],
      [args(['global', 'x'], { tokens: '5' }), config, /global scope has no id/],
      [args(['thread', 't-1', 'x'], { tokens: '5' }), config, /unexpected argument "x"/],
      [args(['thread', 't-1'], { tokens: 'many' }), config, /invalid --tokens "many"/],
      [args(['thread', 't-1'], { tokens: '-1' }), config, /invalid --tokens "-1"/],
      [args(['thread', 't-1'], {}), config, /cannot grant: give at least one of/],
      [
        args(['agent', 'a'], { tokens: '5' }),
        config,
        /cannot grant \(scope\): no limit of the budget matches/,
      ],
      [args(['thread', 't-1'], { 'cost-usd': '1' }), config, /cap none of costUsd/],
      [args(['thread', 't-1'], { tokens: '5' }, { limitName: 'nope' }), config, /cannot grant \(limit\)/],
    ]
    for (const [given, file, expected] of cases) {
      expect(await messageOf(() => grantCommand(store, file, given, now))).toMatch(expected)
    }
    expect(await store.list({ now })).toEqual([])
  })
})
