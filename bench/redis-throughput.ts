/**
 * @tokenwarden/redis benchmark: reserve + settle pairs per second from 4 processes sharing one budget on
 * one Redis (target ≥ 20,000/s). Starts its own redis-server on a free loopback port unless REDIS_URL is
 * set. Each process keeps `--concurrency` calls in flight; each call reserves on two limits (thread,
 * global) and settles on those plus the global tracking counter.
 *
 * Run: node bench/redis-throughput.ts [--processes 4] [--pairs 20000] [--concurrency 64]
 */
import { type ChildProcess, fork, spawn } from 'node:child_process'
import { connect, createServer } from 'node:net'
import { createBudget } from '@tokenwarden/core'
import { redisStore } from '@tokenwarden/redis'

const args = process.argv.slice(2)
const option = (name: string, fallback: number) =>
  args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) || fallback : fallback
const processes = option('processes', 4)
const pairs = option('pairs', 20_000)
const concurrency = option('concurrency', 64)
const limits = [
  { scope: 'thread', tokens: Number.MAX_SAFE_INTEGER },
  { scope: 'global', tokens: Number.MAX_SAFE_INTEGER, period: 'day' as const },
]

if (args[0] === 'worker') {
  const [, url, prefix, id] = args as [string, string, string, string]
  const budget = createBudget({
    limits,
    store: redisStore({ url: url!, prefix: prefix! }),
    track: ['global'],
  })
  const request = { inputTokens: 100, maxOutputTokens: 50 }
  const usage = { inputTokens: 90, outputTokens: 40 }
  const run = async (count: number, lane: number) => {
    for (let i = 0; i < count; i++) {
      await (await budget.reserve({ thread: `t${id}-${lane}` }, request)).settle(usage)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, lane) => run(200, lane))) // warm up
  process.send!('ready')
  await new Promise((resolve) => process.once('message', resolve))
  const start = performance.now()
  const perLane = Math.ceil(pairs / concurrency)
  await Promise.all(Array.from({ length: concurrency }, (_, lane) => run(perLane, lane)))
  process.send!({ pairs: perLane * concurrency, ms: performance.now() - start, end: Date.now() })
  await budget.dispose()
  process.exit(0)
}

let server: ChildProcess | undefined
let url = process.env.REDIS_URL
if (url === undefined) {
  const port = await freePort()
  server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject)
    server!.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('Ready to accept') && resolve())
  })
  url = `redis://127.0.0.1:${port}`
}
const prefix = `bench-${Date.now()}`
const workers = Array.from({ length: processes }, (_, id) =>
  fork(new URL(import.meta.url), ['worker', url!, prefix, String(id), ...args], { stdio: 'inherit' }),
)
await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))))
const cpuBefore = await redisCpuSeconds(url)
const start = Date.now()
const results = workers.map(
  (worker) =>
    new Promise<{ pairs: number; ms: number; end: number }>((resolve) => worker.once('message', resolve)),
)
for (const worker of workers) worker.send('go')
const finished = await Promise.all(results)
const total = finished.reduce((sum, result) => sum + result.pairs, 0)
const seconds = (Math.max(...finished.map((result) => result.end)) - start) / 1000
const redisCpu = (await redisCpuSeconds(url)) - cpuBefore
const check = createBudget({ limits, store: redisStore({ url, prefix }), track: ['global'] })
const report = await check.report()
await check.dispose()
server?.kill('SIGTERM')
const counted = report.totals.requests
console.log(
  JSON.stringify({
    benchmark: 'redis-throughput',
    node: process.version,
    processes,
    concurrency,
    pairs: total,
    seconds: Number(seconds.toFixed(2)),
    pairsPerSecond: Math.round(total / seconds),
    perProcessPairsPerSecond: finished.map((result) => Math.round(result.pairs / (result.ms / 1000))),
    countedRequests: counted,
    // Redis's own CPU per pair: its single-threaded ceiling is 1e6 / this, whatever the clients cost.
    redisCpuMicrosecondsPerPair: Number(((redisCpu * 1e6) / total).toFixed(1)),
    redisBoundPairsPerSecond: Math.round(total / redisCpu),
    cpus: (await import('node:os')).availableParallelism(),
  }),
)

/** Redis's used CPU (user + sys) in seconds, read with a raw INFO over a socket (no client needed). */
function redisCpuSeconds(redisUrl: string): Promise<number> {
  const { hostname, port } = new URL(redisUrl)
  return new Promise((resolve, reject) => {
    let reply = ''
    const socket = connect(Number(port), hostname, () => socket.write('INFO cpu\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (!reply.includes('used_cpu_user_children')) return
      socket.end()
      const value = (name: string) => Number(reply.match(new RegExp(`${name}:([\\d.]+)`))?.[1] ?? 0)
      resolve(value('used_cpu_user') + value('used_cpu_sys'))
    })
    socket.on('error', reject)
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}
