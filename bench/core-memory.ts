/**
 * Core benchmark: reserve + settle pairs per CPU second on the memory store (one core, one process),
 * beside rate-limiter-flexible's `RateLimiterMemory` consume + reward pairs doing the same work (hold
 * 150 on every key, give 20 back) and a bare `Map` check-then-add floor, in alternating rounds of the same
 * process, so the ratios hold however fast the machine is at the moment; and heap bytes per active scope.
 *
 * Run: node --expose-gc bench/core-memory.ts [--scopes 1000000] [--rounds 5]
 */
import { createBudget, type LimitConfig } from '@tokenwarden/core'
import { RateLimiterMemory } from 'rate-limiter-flexible'

const args = process.argv.slice(2)
const option = (name: string, fallback: number) =>
  args.includes(name) ? Number(args[args.indexOf(name) + 1]) || fallback : fallback
const scopeCount = option('--scopes', 200_000)
const rounds = option('--rounds', 5)
const prices = { models: { 'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 } } }
const gc = (globalThis as { gc?: () => void }).gc
const huge = Number.MAX_SAFE_INTEGER

/** One pair of a contender (awaited). */
type Pair = () => Promise<unknown>

function ours(limits: LimitConfig[], ctx: Record<string, string>): Pair {
  const budget = createBudget({ limits, track: [], prices })
  const request = { model: 'gpt-4o', inputTokens: 100, maxOutputTokens: 50 }
  const usage = { inputTokens: 90, outputTokens: 40 }
  return async () => (await budget.reserve(ctx, request)).settle(usage)
}

// USD of the reservation (100 input + 50 output tokens of gpt-4o) and of the usage (90 + 40)
const heldUsd = (100 * 2.5 + 50 * 10) / 1e6
const givenBackUsd = heldUsd - (90 * 2.5 + 40 * 10) / 1e6

/** RateLimiterMemory with the same limits: hold what our reservation holds, reward the unused part. */
function flexible(limitCount: 1 | 3): Pair {
  const thread = new RateLimiterMemory({ points: huge, duration: 0 })
  if (limitCount === 1) {
    return async () => {
      await thread.consume('t', 150)
      return thread.reward('t', 20)
    }
  }
  const agentUsd = new RateLimiterMemory({ points: 1e12, duration: 86_400 })
  // 24 days, not a month: its expiry is a setTimeout, and 30 days overflows it (the key would lapse in 1 ms)
  const globalRequests = new RateLimiterMemory({ points: huge, duration: 24 * 86_400 })
  // one after the other (not atomic across the three, unlike a reservation): the fastest way to use it
  // here (a Promise.all of the three consumes does ≈ 35 % fewer pairs per second on this machine)
  return async () => {
    await thread.consume('t', 150)
    await agentUsd.consume('a', heldUsd)
    await globalRequests.consume('global', 1)
    await thread.reward('t', 20)
    return agentUsd.reward('a', givenBackUsd)
  }
}

/** The floor: a bare Map checked then added, one await per operation (as the API's two calls). */
function bareMap(): Pair {
  const used = new Map<string, number>()
  const add = async (key: string, amount: number) => {
    const total = (used.get(key) ?? 0) + amount
    if (total > huge) return false
    used.set(key, total)
    return true
  }
  return async () => {
    if (await add('t', 150)) await add('t', -20)
  }
}

const cpuMicros = () => {
  const { user, system } = process.cpuUsage()
  return user + system
}

/** Pairs per CPU second over about `seconds` of CPU. */
async function pairsPerCpuSecond(pair: Pair, seconds: number): Promise<number> {
  let pairs = 0
  const start = cpuMicros()
  const budgetMicros = seconds * 1e6
  while (cpuMicros() - start < budgetMicros) {
    for (let i = 0; i < 5_000; i++) await pair()
    pairs += 5_000
  }
  return Math.round(pairs / ((cpuMicros() - start) / 1e6))
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const round2 = (n: number) => Math.round(n * 100) / 100

const threeLimits: LimitConfig[] = [
  { scope: 'thread', tokens: huge },
  { scope: 'agent', costUsd: 1e12, period: 'day' },
  { scope: 'global', requests: huge, period: 'month' },
]
const contenders: Record<string, Pair> = {
  oursOne: ours([{ scope: 'thread', tokens: huge }], { thread: 't' }),
  flexibleOne: flexible(1),
  oursThree: ours(threeLimits, { thread: 't', agent: 'a' }),
  flexibleThree: flexible(3),
  bareMap: bareMap(),
}
const names = Object.keys(contenders)
const figures: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]))

// warm up every contender, then alternate: each round runs all of them back to back, in turn
for (const name of names) await pairsPerCpuSecond(contenders[name]!, 0.3)
for (let round = 0; round < rounds; round++) {
  const order = names.map((_, i) => names[(i + round) % names.length]!)
  for (const name of order) figures[name]!.push(await pairsPerCpuSecond(contenders[name]!, 0.4))
}
/** Ours ÷ theirs in each round: median and spread. */
const ratio = (a: string, b: string) => {
  const each = figures[a]!.map((value, i) => value / figures[b]![i]!)
  return { median: round2(median(each)), min: round2(Math.min(...each)), max: round2(Math.max(...each)) }
}

async function bytesPerScope(count: number) {
  if (!gc) return undefined
  const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1_000_000 }], track: [] })
  const usage = { inputTokens: 90, outputTokens: 40 }
  gc()
  const before = process.memoryUsage()
  for (let i = 0; i < count; i++) await budget.record({ thread: `thread-${i}` }, usage)
  gc()
  const after = process.memoryUsage()
  // keep the budget alive until measured
  if ((await budget.status({ thread: 'thread-0' }))[0]!.used !== 130) throw new Error('unexpected state')
  // heap and array buffers (typed arrays' storage lives outside the heap)
  return Math.round((after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / count)
}

const bytes = await bytesPerScope(scopeCount)
const result = {
  benchmark: 'core-memory',
  node: process.version,
  rounds,
  pairsPerSecondOneLimit: median(figures.oursOne!),
  pairsPerSecondThreeLimits: median(figures.oursThree!),
  flexiblePairsPerSecondOneLimit: median(figures.flexibleOne!),
  flexiblePairsPerSecondThreeLimits: median(figures.flexibleThree!),
  bareMapPairsPerSecond: median(figures.bareMap!),
  ratioOneLimit: ratio('oursOne', 'flexibleOne'),
  ratioThreeLimits: ratio('oursThree', 'flexibleThree'),
  ratioThreeLimitsToFlexibleOne: ratio('oursThree', 'flexibleOne'),
  scopes: scopeCount,
  bytesPerScope: bytes ?? 'run with --expose-gc',
}
console.log(JSON.stringify(result))
