/**
 * @tokenwarden/redis benchmark: redis-server instructions per reserve + settle pair, ours and
 * rate-limiter-flexible's `RateLimiterRedis` (ours doing its work: no tracking counter, no usage history;
 * and, apart, with the global tracking counter and hourly history), and the floor of our layout (the same
 * commands in two function calls with no logic), counted by valgrind's callgrind (user-space instructions of
 * redis-server only, between two points: deterministic, unlike CPU time on a loaded machine). The same
 * pair as `redis-throughput.ts` (2 limits, hold 150, give 20 back), from one process with `--concurrency`
 * calls in flight, on a redis-server of its own started under callgrind (valgrind must be installed).
 * Slow (callgrind runs redis-server ≈ 50× slower): a few thousand pairs are enough.
 *
 * Run: node bench/redis-instructions.ts [--pairs 2000] [--concurrency 64]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBudget } from '@tokenwarden/core'
import { redisStore } from '@tokenwarden/redis'
import { Redis } from 'ioredis'
import { RateLimiterRedis } from 'rate-limiter-flexible'

const args = process.argv.slice(2)
const option = (name: string, fallback: number) =>
  args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) || fallback : fallback
const pairs = option('pairs', 2000)
const concurrency = option('concurrency', 64)
const limits = [
  { scope: 'thread', tokens: Number.MAX_SAFE_INTEGER },
  { scope: 'global', tokens: Number.MAX_SAFE_INTEGER, period: 'day' as const },
]

const directory = mkdtempSync(join(tmpdir(), 'tokenwarden-callgrind-'))
const port = await freePort()
const server: ChildProcess = spawn(
  'valgrind',
  [
    '--tool=callgrind',
    '--instr-atstart=no',
    `--callgrind-out-file=${join(directory, 'callgrind.out')}`,
    'redis-server',
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ],
  { stdio: 'ignore' },
)
const url = `redis://127.0.0.1:${port}`
const admin = new Redis(url, { retryStrategy: () => 100 })
admin.on('error', () => {})
await admin.ping()

/** Instructions redis-server ran during `work` (callgrind's counters zeroed, switched on, dumped). */
async function instructions(work: () => Promise<void>): Promise<number> {
  const pid = String(server.pid)
  execFileSync('callgrind_control', ['--zero', pid], { stdio: 'ignore' })
  execFileSync('callgrind_control', ['--instr=on', pid], { stdio: 'ignore' })
  await work()
  execFileSync('callgrind_control', ['--instr=off', pid], { stdio: 'ignore' })
  const before = new Set(readdirSync(directory))
  execFileSync('callgrind_control', ['--dump', pid], { stdio: 'ignore' })
  const dump = readdirSync(directory).find((file) => !before.has(file))!
  return Number(/^totals: (\d+)/m.exec(readFileSync(join(directory, dump), 'utf8'))![1])
}

async function lanes(count: number, pair: (lane: number) => Promise<unknown>): Promise<void> {
  const perLane = Math.ceil(count / concurrency)
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      for (let i = 0; i < perLane; i++) await pair(lane)
    }),
  )
}

// the work RateLimiterRedis does (no tracking counter, no usage history), and with the global tracking
// counter and the global limit's hourly usage history (on by default for a global limit)
const budget = createBudget({
  limits: limits.map((limit) => ({ ...limit, history: false })),
  store: redisStore({ url, prefix: 'ours' }),
  track: [],
})
const trackedBudget = createBudget({
  limits,
  store: redisStore({ url, prefix: 'tracked' }),
  track: ['global'],
})
const pairOf = (on: typeof budget) => async (lane: number) =>
  (await on.reserve({ thread: `t-${lane}` }, { inputTokens: 100, maxOutputTokens: 50 })).settle({
    inputTokens: 90,
    outputTokens: 40,
  })
const ours = pairOf(budget)
const tracked = pairOf(trackedBudget)

// The floor of our layout: per operation one function call doing only the commands a reserve or a
// settle of two limits needs (read the reservation key, the due time and both counters; write the lease
// or the closed mark, its lease-queue entry and both counters), with constant values and no logic.
const floorLibrary = `#!lua name=tokenwarden_floor
local COUNTER = '${'c'.repeat(152)}'
local LEASE = 'r${'l'.repeat(80)}keys'
local HEADER = '${'h'.repeat(56)}'
redis.register_function('tokenwarden_floor', function(keys, args)
  redis.call('MGET', keys[2], keys[3], keys[4], keys[5])
  if args[1] == 'reserve' then
    redis.call('SET', keys[2], LEASE)
    redis.call('ZADD', keys[1], args[3], keys[2])
  else
    redis.call('SET', keys[2], 'c', 'PX', args[3])
    redis.call('ZREM', keys[1], keys[2])
  end
  redis.call('SET', keys[4], COUNTER, 'KEEPTTL')
  redis.call('SET', keys[5], COUNTER, 'KEEPTTL')
  return { HEADER, '', '' }
end)`
await admin.call('FUNCTION', 'LOAD', 'REPLACE', floorLibrary)
const floorClient = new Redis(url, { enableAutoPipelining: true })
// ioredis has FCALL (the store calls it so), its types do not
const fcall = (...fcallArgs: (string | number | Buffer)[]) =>
  (floorClient as unknown as { fcallBuffer(...a: typeof fcallArgs): Promise<Buffer[]> }).fcallBuffer(
    ...fcallArgs,
  )
const numbers = Buffer.alloc(96)
let floorIds = 0
const floor = async (lane: number) => {
  const keys = ['{f}:leases', `{f}:r:${floorIds++}`, '{f}:due', `{f}:thread:t-${lane}`, '{f}:global']
  await fcall('tokenwarden_floor', keys.length, ...keys, 'reserve', numbers, '1e13')
  await fcall('tokenwarden_floor', keys.length, ...keys, 'commit', numbers, '86400000')
}
const client = new Redis(url, { enableAutoPipelining: true })
const options = { storeClient: client, points: Number.MAX_SAFE_INTEGER, duration: 86_400 }
const thread = new RateLimiterRedis({ ...options, keyPrefix: 'theirs:thread' })
const global = new RateLimiterRedis({ ...options, keyPrefix: 'theirs:global' })
const theirs = async (lane: number) => {
  const key = `t-${lane}`
  await Promise.all([thread.consume(key, 150), global.consume('global', 150)])
  await Promise.all([thread.reward(key, 20), global.reward('global', 20)])
}

await lanes(concurrency * 4, ours) // warm up: library loaded, counters created
await lanes(concurrency * 4, tracked)
await lanes(concurrency * 4, theirs)
await lanes(concurrency * 4, floor)
const total = Math.ceil(pairs / concurrency) * concurrency
const oursPerPair = (await instructions(() => lanes(total, ours))) / total
const trackedPerPair = (await instructions(() => lanes(total, tracked))) / total
const theirsPerPair = (await instructions(() => lanes(total, theirs))) / total
const floorPerPair = (await instructions(() => lanes(total, floor))) / total

await budget.dispose()
await trackedBudget.dispose()
client.disconnect()
floorClient.disconnect()
admin.disconnect()
server.kill('SIGTERM')
await new Promise((resolve) => server.once('exit', resolve))
rmSync(directory, { recursive: true, force: true })

console.log(
  JSON.stringify({
    benchmark: 'redis-instructions',
    node: process.version,
    pairs: total,
    concurrency,
    instructionsPerPair: Math.round(oursPerPair),
    rateLimiterRedisInstructionsPerPair: Math.round(theirsPerPair),
    // ≤ 1 costs Redis no more work per pair than RateLimiterRedis
    instructionsRatio: Number((oursPerPair / theirsPerPair).toFixed(2)),
    trackedInstructionsPerPair: Math.round(trackedPerPair),
    trackedInstructionsRatio: Number((trackedPerPair / theirsPerPair).toFixed(2)),
    // the commands alone, in two function calls with no logic: what our layout costs at the least
    floorInstructionsPerPair: Math.round(floorPerPair),
    floorInstructionsRatio: Number((floorPerPair / theirsPerPair).toFixed(2)),
  }),
)

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}
