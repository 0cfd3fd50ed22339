import { type BudgetStore, createBudget, type LimitConfig } from '@tokenwarden/core'

/** The limits of the CLI tests (written to the `--config` file). */
export const testLimits: LimitConfig[] = [
  { scope: 'global', costUsd: 1, period: 'month' },
  { scope: 'agent', tokens: 10_000, period: 'day', history: true },
  { scope: 'user', tokens: 5_000, period: { rolling: '24h', buckets: 24 } },
  { scope: 'thread', tokens: 3_000 },
]

/**
 * Fills a store through `createBudget({ store })` with a fixed set of calls: researcher (2 calls, gpt-4o),
 * writer (1 call, gpt-4o-mini, plus one open reservation of 300 tokens), planner (1 call, gpt-4o).
 *
 * @example
 * await populateBudget(sqliteStore({ path }))
 */
export async function populateBudget(store: BudgetStore): Promise<void> {
  const budget = createBudget({
    limits: testLimits,
    store,
    prices: {
      models: {
        'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
        'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
      },
    },
  })
  const calls = [
    [{ agent: 'researcher', user: 'u-1', thread: 't-1' }, 'gpt-4o', 1200, 400],
    [{ agent: 'researcher', user: 'u-1', thread: 't-1' }, 'gpt-4o', 900, 300],
    [{ agent: 'writer', user: 'u-2', thread: 't-2' }, 'gpt-4o-mini', 2000, 600],
    [{ agent: 'planner', user: 'u-1', thread: 't-3' }, 'gpt-4o', 300, 100],
  ] as const
  for (const [context, model, inputTokens, outputTokens] of calls) {
    const reservation = await budget.reserve(context, { model, inputTokens, maxOutputTokens: outputTokens })
    await reservation.settle({ inputTokens, outputTokens })
  }
  // Held, never settled: shows as reserved until its lease lapses.
  await budget.reserve(
    { agent: 'writer', user: 'u-2', thread: 't-2' },
    { model: 'gpt-4o-mini', inputTokens: 100, maxOutputTokens: 200 },
  )
  await budget.dispose()
}
