/**
 * @tokenwarden/sqlite benchmark: reserve + settle pairs per second from 4 processes sharing one budget
 * in one SQLite file (WAL, synchronous=NORMAL, one BEGIN IMMEDIATE transaction per operation). Each call
 * reserves on two limits (thread, global) and settles on those plus the global tracking counter.
 *
 * Run: node bench/sqlite-throughput.ts [--processes 4] [--pairs 5000] [--synchronous normal|full]
 */
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBudget } from '@tokenwarden/core'
import { sqliteStore } from '@tokenwarden/sqlite'

const args = process.argv.slice(2)
const option = (name: string, fallback: number) =>
  args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) || fallback : fallback
const processes = option('processes', 4)
const pairs = option('pairs', 5_000)
const synchronous =
  args.includes('--synchronous') && args[args.indexOf('--synchronous') + 1] === 'full' ? 'full' : 'normal'
const limits = [
  { scope: 'thread', tokens: Number.MAX_SAFE_INTEGER },
  { scope: 'global', tokens: Number.MAX_SAFE_INTEGER, period: 'day' as const },
]
const budgetFor = (path: string) =>
  createBudget({
    limits,
    store: sqliteStore({ path, synchronous, busyTimeoutMs: 60_000 }),
    track: ['global'],
  })

if (args[0] === 'worker') {
  const [, path, id] = args as [string, string, string]
  const budget = budgetFor(path)
  const request = { inputTokens: 100, maxOutputTokens: 50 }
  const usage = { inputTokens: 90, outputTokens: 40 }
  const run = async (count: number) => {
    for (let i = 0; i < count; i++)
      await (await budget.reserve({ thread: `t${id}-${i % 16}` }, request)).settle(usage)
  }
  await run(500) // warm up
  process.send!('ready')
  await new Promise((resolve) => process.once('message', resolve))
  const start = performance.now()
  await run(pairs)
  process.send!({ pairs, ms: performance.now() - start, end: Date.now() })
  await budget.dispose()
  process.exit(0)
}

const directory = mkdtempSync(join(tmpdir(), 'tokenwarden-bench-sqlite-'))
const path = join(directory, 'budget.db')
const workers = Array.from({ length: processes }, (_, id) =>
  fork(new URL(import.meta.url), ['worker', path, String(id), ...args], { stdio: 'inherit' }),
)
await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))))
const results = workers.map(
  (worker) =>
    new Promise<{ pairs: number; ms: number; end: number }>((resolve) => worker.once('message', resolve)),
)
const start = Date.now()
for (const worker of workers) worker.send('go')
const finished = await Promise.all(results)
const total = finished.reduce((sum, result) => sum + result.pairs, 0)
const seconds = (Math.max(...finished.map((result) => result.end)) - start) / 1000
const check = budgetFor(path)
const report = await check.report()
await check.dispose()
rmSync(directory, { recursive: true, force: true })
console.log(
  JSON.stringify({
    benchmark: 'sqlite-throughput',
    node: process.version,
    processes,
    synchronous,
    pairs: total,
    seconds: Number(seconds.toFixed(2)),
    pairsPerSecond: Math.round(total / seconds),
    perProcessPairsPerSecond: finished.map((result) => Math.round(result.pairs / (result.ms / 1000))),
    countedRequests: report.totals.requests,
    cpus: availableParallelism(),
  }),
)
