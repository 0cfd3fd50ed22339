// A day of a small agent team on a SQLite budget store, left behind for the CLI: writes
// ./.tokenwarden/budget.db and the limits in ./.tokenwarden/budget.config.json (or under the directory
// given as the first argument), then prints the commands of the walkthrough in README.md.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BudgetExceededError, createBudget, formatQuantity, type LimitConfig } from '@tokenwarden/core'
import { sqliteStore } from '@tokenwarden/sqlite'

const directory = process.argv[2] ?? '.tokenwarden'
const database = join(directory, 'budget.db')
const configFile = join(directory, 'budget.config.json')

const limits: LimitConfig[] = [
  { scope: 'global', costUsd: 1, period: 'day' },
  { scope: 'agent', tokens: 60_000, period: 'day', history: true }, // burn-down per agent (global: by default)
  { scope: 'user', tokens: 12_000, period: { rolling: '1h', buckets: 12 } },
  { scope: 'thread', tokens: 24_000 },
]
const prices = {
  models: {
    'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
    'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  },
}

mkdirSync(directory, { recursive: true })
rmSync(database, { force: true })
rmSync(`${database}-wal`, { force: true })
rmSync(`${database}-shm`, { force: true })
// The CLI reads the caps from the same limits the application passes to createBudget.
writeFileSync(configFile, `${JSON.stringify({ limits }, null, 2)}\n`)

// The calls of the last hours of today (UTC), replayed on a simulated clock so the charts have a shape.
const now = Date.now()
const midnight = now - (now % 86_400_000)
const from = Math.max(midnight, now - 8 * 3_600_000)
let clock = from
const budget = createBudget({ limits, prices, store: sqliteStore({ path: database }), now: () => clock })

const agents = [
  { agent: 'researcher', model: 'gpt-4o', input: 1_800, output: 500 },
  { agent: 'writer', model: 'gpt-4o-mini', input: 2_400, output: 700 },
  { agent: 'planner', model: 'gpt-4o', input: 600, output: 150 },
] as const
const calls = 60
let settled = 0
let refused = 0
for (let call = 0; call < calls; call++) {
  clock = from + Math.round(((now - from) * call) / (calls - 1))
  const { agent, model, input, output } = agents[call % 3]!
  // Busier mid-session: a wave of larger requests in the middle third.
  const scale = call > calls / 3 && call < (2 * calls) / 3 ? 2 : 1
  const context = { agent, user: `u-${(call % 4) + 1}`, thread: `t-${Math.floor(call / 10) + 1}` }
  try {
    const reservation = await budget.reserve(context, {
      model,
      inputTokens: input * scale,
      maxOutputTokens: output * scale,
    })
    await reservation.settle({ inputTokens: input * scale, outputTokens: Math.round(output * scale * 0.8) })
    settled++
  } catch (error) {
    if (!BudgetExceededError.isInstance(error)) throw error
    refused++
  }
}
const { totals } = await budget.report()
await budget.dispose()

console.log(
  `wrote ${database}: ${formatQuantity(settled + refused, 'requests')} (${refused} refused), ` +
    `${formatQuantity(totals.tokens, 'tokens')}, ${formatQuantity(totals.costUsd, 'costUsd')}`,
)
console.log(`limits in ${configFile}; now try:`)
console.log(`  pnpm exec tokenwarden status --store sqlite:${database} --config ${configFile}`)
console.log(`  pnpm exec tokenwarden top --store sqlite:${database} --sort cost`)
console.log(
  `  pnpm exec tokenwarden report --store sqlite:${database} --config ${configFile} --html report.html`,
)
