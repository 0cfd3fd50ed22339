/**
 * @tokenwarden/redis benchmark, side by side with rate-limiter-flexible's `RateLimiterRedis` on the same
 * redis-server: reserve + settle pairs per second from 4 processes sharing one budget, and redis-server
 * CPU per pair (its `used_cpu_user` + `used_cpu_sys` from `INFO cpu` before and after). Starts its own
 * redis-server on a free loopback port unless REDIS_URL is set. Each process keeps `--concurrency` calls
 * in flight, and each call does the same work in both:
 * - tokenwarden: reserve 150 tokens on two limits (thread, global per day) at once, settle 130 (20 back),
 *   with no tracking counter and no usage history (`track: []`, `history: false`: the work RateLimiterRedis
 *   does, as in the in-memory benchmark);
 * - tokenwarden-tracked: the same with the global tracking counter and the global limit's hourly usage
 *   history (on by default for a global limit), two more counters each settle writes;
 * - RateLimiterRedis: two limiters (per thread, global, each per day), consume 150 on both, then reward
 *   20 on both (each limiter call is one `EVALSHA` of its own script; the two run concurrently).
 * With `--rounds n`, the contenders alternate n times (figures of every round, medians reported).
 *
 * Run: node bench/redis-throughput.ts [--processes 4] [--pairs 20000] [--concurrency 64] [--rounds 1]
 *   [--only tokenwarden|tokenwarden-tracked|rate-limiter-flexible] [--commandstats]
 */
import { type ChildProcess, fork, spawn } from 'node:child_process'
import { connect, createServer } from 'node:net'
import { availableParallelism } from 'node:os'
import { createBudget } from '@tokenwarden/core'
import { redisStore } from '@tokenwarden/redis'
import { Redis } from 'ioredis'
import { RateLimiterRedis } from 'rate-limiter-flexible'

const args = process.argv.slice(2)
const option = (name: string, fallback: number) =>
  args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) || fallback : fallback
const processes = option('processes', 4)
const pairs = option('pairs', 20_000)
const concurrency = option('concurrency', 64)
const rounds = option('rounds', 1)
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined
const limits = [
  { scope: 'thread', tokens: Number.MAX_SAFE_INTEGER },
  { scope: 'global', tokens: Number.MAX_SAFE_INTEGER, period: 'day' as const },
]
/** The same limits without usage history, and the tracking each contender of ours keeps. */
const setups = {
  tokenwarden: {
    limits: limits.map((limit) => ({ ...limit, history: false })),
    track: [] as string[],
  },
  'tokenwarden-tracked': { limits, track: ['global'] },
}
type Contender = keyof typeof setups | 'rate-limiter-flexible'
type Pair = (lane: number) => Promise<unknown>

/** One pair of each contender, for lane `lane` of process `id`, and how to close its connection. */
function contender(kind: Contender, url: string, prefix: string, id: string) {
  if (kind !== 'rate-limiter-flexible') {
    const budget = createBudget({ ...setups[kind], store: redisStore({ url, prefix }) })
    const request = { inputTokens: 100, maxOutputTokens: 50 }
    const usage = { inputTokens: 90, outputTokens: 40 }
    const pair: Pair = async (lane) =>
      (await budget.reserve({ thread: `t${id}-${lane}` }, request)).settle(usage)
    return { pair, close: () => budget.dispose() }
  }
  // The same client settings as the store's own connection.
  const client = new Redis(url, { enableAutoPipelining: true })
  const options = { storeClient: client, points: Number.MAX_SAFE_INTEGER, duration: 86_400 }
  const thread = new RateLimiterRedis({ ...options, keyPrefix: `${prefix}:thread` })
  const global = new RateLimiterRedis({ ...options, keyPrefix: `${prefix}:global` })
  const pair: Pair = async (lane) => {
    const key = `t${id}-${lane}`
    await Promise.all([thread.consume(key, 150), global.consume('global', 150)])
    await Promise.all([thread.reward(key, 20), global.reward('global', 20)])
  }
  return { pair, close: () => client.quit() }
}

if (args[0] === 'worker') {
  const [, kind, url, prefix, id] = args as [string, Contender, string, string, string]
  const { pair, close } = contender(kind, url, prefix, id)
  const run = async (count: number, lane: number) => {
    for (let i = 0; i < count; i++) await pair(lane)
  }
  await Promise.all(Array.from({ length: concurrency }, (_, lane) => run(200, lane))) // warm up
  process.send!('ready')
  await new Promise((resolve) => process.once('message', resolve))
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  const perLane = Math.ceil(pairs / concurrency)
  await Promise.all(Array.from({ length: concurrency }, (_, lane) => run(perLane, lane)))
  const cpu = process.cpuUsage(cpuStart)
  process.send!({
    pairs: perLane * concurrency,
    ms: performance.now() - start,
    end: Date.now(),
    cpuMicroseconds: cpu.user + cpu.system,
  })
  await close()
  process.exit(0)
}

let server: ChildProcess | undefined
let url = process.env.REDIS_URL
if (url === undefined) {
  const port = await freePort()
  const serverArgs = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  server = spawn('redis-server', serverArgs, { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject)
    server!.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('Ready to accept') && resolve())
  })
  url = `redis://127.0.0.1:${port}`
}

/** One timed run of a contender: its pairs/s and redis-server CPU µs per pair. */
async function measure(kind: Contender, round: number) {
  const prefix = `bench-${kind}-${Date.now()}-${round}`
  const workers = Array.from({ length: processes }, (_, id) =>
    fork(new URL(import.meta.url), ['worker', kind, url!, prefix, String(id), ...args], { stdio: 'inherit' }),
  )
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))))
  const statsBefore = args.includes('--commandstats') ? await info(url!, 'commandstats') : ''
  const cpuBefore = await redisCpuSeconds(url!)
  const start = Date.now()
  const results = workers.map(
    (worker) =>
      new Promise<{ pairs: number; ms: number; end: number; cpuMicroseconds: number }>((resolve) =>
        worker.once('message', resolve),
      ),
  )
  for (const worker of workers) worker.send('go')
  const finished = await Promise.all(results)
  const redisCpu = (await redisCpuSeconds(url!)) - cpuBefore
  const total = finished.reduce((sum, result) => sum + result.pairs, 0)
  const seconds = (Math.max(...finished.map((result) => result.end)) - start) / 1000
  if (args.includes('--commandstats'))
    printCommandStats(kind, statsBefore, await info(url!, 'commandstats'), total)
  let countedRequests: number | undefined
  if (kind === 'tokenwarden-tracked') {
    const check = createBudget({ ...setups[kind], store: redisStore({ url: url!, prefix }) })
    countedRequests = (await check.report()).totals.requests
    await check.dispose()
  }
  return {
    pairs: total,
    seconds: Number(seconds.toFixed(2)),
    pairsPerSecond: Math.round(total / seconds),
    perProcessPairsPerSecond: finished.map((result) => Math.round(result.pairs / (result.ms / 1000))),
    // Redis's own CPU per pair: its single-threaded ceiling is 1e6 / this, whatever the clients cost.
    redisCpuMicrosecondsPerPair: Number(((redisCpu * 1e6) / total).toFixed(1)),
    // The client processes' CPU per pair (Node: the budget or the limiters, the driver): with redis-server
    // they share the machine's cores, so pairs/s is bounded by the sum when the cores are busy.
    clientCpuMicrosecondsPerPair: Number(
      (finished.reduce((sum, result) => sum + result.cpuMicroseconds, 0) / total).toFixed(1),
    ),
    ...(countedRequests === undefined ? {} : { countedRequests }),
  }
}

const kinds: Contender[] =
  only === undefined ? ['tokenwarden', 'rate-limiter-flexible', 'tokenwarden-tracked'] : [only as Contender]
const runs: Record<string, Awaited<ReturnType<typeof measure>>[]> = {}
for (let round = 0; round < rounds; round++) {
  // Turn which contender goes first, so a slow phase of the machine does not favour one.
  const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]!)
  for (const kind of order) {
    const list = runs[kind] ?? []
    list.push(await measure(kind, round))
    runs[kind] = list
  }
}
server?.kill('SIGTERM')

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
const summary = (kind: Contender) => {
  const list = runs[kind]
  if (list === undefined) return undefined
  return {
    ...list.at(-1)!,
    pairsPerSecond: Math.round(median(list.map((r) => r.pairsPerSecond))),
    redisCpuMicrosecondsPerPair: Number(median(list.map((r) => r.redisCpuMicrosecondsPerPair)).toFixed(1)),
    clientCpuMicrosecondsPerPair: Number(median(list.map((r) => r.clientCpuMicrosecondsPerPair)).toFixed(1)),
    ...(list.length > 1 ? { rounds: list } : {}),
  }
}
const ours = summary('tokenwarden')
const theirs = summary('rate-limiter-flexible')
const tracked = summary('tokenwarden-tracked')
console.log(
  JSON.stringify({
    benchmark: 'redis-throughput',
    node: process.version,
    processes,
    concurrency,
    ...ours,
    ...(ours === undefined
      ? {}
      : { redisBoundPairsPerSecond: Math.round(1e6 / ours.redisCpuMicrosecondsPerPair) }),
    ...(theirs === undefined
      ? {}
      : {
          rateLimiterFlexible: theirs,
          ...(ours === undefined
            ? {}
            : {
                // ≥ 1 is as fast as RateLimiterRedis; CPU ratio ≤ 1 costs Redis no more per pair.
                pairsPerSecondRatio: Number((ours.pairsPerSecond / theirs.pairsPerSecond).toFixed(2)),
                redisCpuRatio: Number(
                  (ours.redisCpuMicrosecondsPerPair / theirs.redisCpuMicrosecondsPerPair).toFixed(2),
                ),
              }),
        }),
    ...(tracked === undefined
      ? {}
      : {
          tracked,
          ...(theirs === undefined
            ? {}
            : {
                trackedPairsPerSecondRatio: Number(
                  (tracked.pairsPerSecond / theirs.pairsPerSecond).toFixed(2),
                ),
                trackedRedisCpuRatio: Number(
                  (tracked.redisCpuMicrosecondsPerPair / theirs.redisCpuMicrosecondsPerPair).toFixed(2),
                ),
              }),
        }),
    cpus: availableParallelism(),
  }),
)

/** Redis's used CPU (user + sys) in seconds. */
async function redisCpuSeconds(redisUrl: string): Promise<number> {
  const reply = await info(redisUrl, 'cpu')
  const value = (name: string) => Number(reply.match(new RegExp(`${name}:([\\d.]+)`))?.[1] ?? 0)
  return value('used_cpu_user') + value('used_cpu_sys')
}

/** One `INFO` section, read over a raw socket (no client needed). */
function info(redisUrl: string, section: string): Promise<string> {
  const { hostname, port } = new URL(redisUrl)
  return new Promise((resolve, reject) => {
    let reply = ''
    const socket = connect(Number(port), hostname, () => socket.write(`INFO ${section}\r\n`))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      const header = /^\$(\d+)\r\n/.exec(reply)
      if (header === null || Buffer.byteLength(reply) < header[0].length + Number(header[1])) return
      socket.end()
      resolve(reply)
    })
    socket.on('error', reject)
  })
}

/** Commands Redis ran per pair and their µs per pair (inside scripts too), to stderr. */
function printCommandStats(kind: string, before: string, after: string, total: number) {
  const parse = (text: string) =>
    new Map(
      [...text.matchAll(/cmdstat_(\w+):calls=(\d+),usec=(\d+)/g)].map((m) => [
        m[1]!,
        [Number(m[2]), Number(m[3])],
      ]),
    )
  const start = parse(before)
  const lines = [...parse(after)].map(([name, [calls, usec]]) => {
    const [calls0, usec0] = start.get(name) ?? [0, 0]
    return `${name}: ${((calls! - calls0!) / total).toFixed(2)} calls, ${((usec! - usec0!) / total).toFixed(1)} µs`
  })
  process.stderr.write(`${kind} per pair: ${lines.filter((line) => !line.startsWith('info')).join('; ')}\n`)
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}
