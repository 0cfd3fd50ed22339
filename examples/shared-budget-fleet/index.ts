// A fleet of agent processes sharing one daily budget: first through a SQLite file (one machine), then
// through Redis (many machines). Offline: the "model" is simulated; Redis is a local redis-server on a
// free port (or REDIS_URL). Run: node index.ts
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  BudgetExceededError,
  type BudgetStore,
  createBudget,
  formatAmount,
  formatQuantity,
} from '@tokenwarden/core'
import { redisStore } from '@tokenwarden/redis'
import { sqliteStore } from '@tokenwarden/sqlite'

const agents = ['researcher', 'writer', 'reviewer']
const dailyTokens = 12_000
const budgetFor = (store: BudgetStore) =>
  createBudget({
    limits: [
      { scope: 'global', tokens: dailyTokens, period: 'day' },
      { scope: 'agent', tokens: 6_000, period: 'day' },
    ],
    store,
  })
const storeFor = (kind: string, target: string): BudgetStore =>
  kind === 'sqlite' ? sqliteStore({ path: target }) : redisStore({ url: target, prefix: 'fleet-example' })

const [mode, kind, target, agent] = process.argv.slice(2)
if (mode === 'agent') {
  // One agent process: calls the (simulated) model until the shared budget refuses.
  const budget = budgetFor(storeFor(kind!, target!))
  let calls = 0
  let tokens = 0
  for (;;) {
    let reservation: Awaited<ReturnType<typeof budget.reserve>>
    try {
      reservation = await budget.reserve(
        { agent: agent!, thread: `${agent}-${calls}` },
        { inputTokens: 400, maxOutputTokens: 300 },
      )
    } catch (error) {
      if (!BudgetExceededError.isInstance(error)) throw error
      process.send!({ agent, calls, tokens, refusedBy: error.scope })
      break
    }
    const usage = { inputTokens: 400, outputTokens: 120 + ((calls * 37) % 150) } // what the model reported
    await reservation.settle(usage)
    calls++
    tokens += usage.inputTokens + usage.outputTokens
  }
  await budget.dispose()
  process.exit(0)
}

async function runFleet(kind: 'sqlite' | 'redis', target: string): Promise<void> {
  const workers = agents.map((name) => fork(new URL(import.meta.url), ['agent', kind, target, name]))
  const results = await Promise.all(
    workers.map(
      (worker) =>
        new Promise<{ agent: string; calls: number; tokens: number; refusedBy: string }>(
          (resolve, reject) => {
            worker.once('message', resolve as never)
            worker.once('exit', (code) => code !== 0 && reject(new Error(`agent exited with ${code}`)))
          },
        ),
    ),
  )
  for (const r of results) {
    console.log(
      `[${kind}] ${r.agent}: ${formatQuantity(r.calls, 'requests')}, ${formatQuantity(r.tokens, 'tokens')}, then refused by the ${r.refusedBy} limit`,
    )
  }
  const budget = budgetFor(storeFor(kind, target))
  const [global] = await budget.status({})
  const report = await budget.report()
  const spenders = report.top.agent?.map((s) => `${s.id} ${s.usage.tokens}`).join(', ')
  console.log(
    `[${kind}] fleet used ${formatAmount(global!.used, 'tokens')} / ${formatQuantity(dailyTokens, 'tokens')}, reserved ${formatAmount(global!.reserved, 'tokens')}` +
      ` (never over the cap: ${global!.used <= dailyTokens}); by agent: ${spenders}`,
  )
  await budget.dispose()
}

// 1. One machine: processes share a SQLite file (WAL; each operation is one transaction).
const directory = mkdtempSync(join(tmpdir(), 'tokenwarden-fleet-'))
await runFleet('sqlite', join(directory, 'budget.db'))
rmSync(directory, { recursive: true, force: true })

// 2. Many machines: processes share one Redis (each operation is one Lua script).
let server: ChildProcess | undefined
let url = process.env.REDIS_URL
if (url === undefined && spawnSync('sh', ['-c', 'command -v redis-server']).status === 0) {
  const port = await freePort()
  server = spawn('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ])
  await new Promise<void>((resolve) =>
    server!.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('Ready to accept') && resolve()),
  )
  url = `redis://127.0.0.1:${port}`
}
if (url === undefined) console.log('[redis] skipped: no redis-server binary and no REDIS_URL')
else await runFleet('redis', url)
server?.kill('SIGTERM')

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}
