/**
 * What bounds the in-memory core pair beside rate-limiter-flexible: the pair of `core-memory.ts` (1 limit,
 * hold 150, give 20 back) and what is left of it with parts taken away, each in a process of its own
 * (no inline cache shared between them), in CPU time (`process.cpuUsage`), rounds alternating between
 * the variants, medians reported:
 * - `flexible`: `RateLimiterMemory` consume + reward (the competitor);
 * - `ours`: `budget.reserve` + `settle` on the memory store;
 * - `storeStubbed`: the same budget on a store whose `reserveSync` / `commitSync` return constants (the
 *   engine's whole work: validation, charges, pricing, ids, the lease's request, events, results);
 * - `apiShape`: what the API returns and nothing else (two promises, a reservation with `settle`, a
 *   result with its usage tally, one clock read).
 *
 * Run: node bench/core-bounds.ts [--rounds 5] [--pairs 500000]
 *      node bench/core-bounds.ts variant <name> <pairs>   (one measurement, as the driver runs it)
 */
import { execFileSync } from 'node:child_process'
import {
  type BudgetStore,
  createBudget,
  memoryStore,
  type StoreCommitResult,
  type StoreReserveResult,
} from '@tokenwarden/core'
import { RateLimiterMemory } from 'rate-limiter-flexible'

const args = process.argv.slice(2)
const option = (name: string, fallback: number) =>
  args.includes(name) ? Number(args[args.indexOf(name) + 1]) || fallback : fallback
const variants = ['flexible', 'ours', 'storeStubbed', 'apiShape'] as const
type Variant = (typeof variants)[number]
const huge = Number.MAX_SAFE_INTEGER

function pairOf(variant: Variant): () => Promise<unknown> {
  const request = { model: 'gpt-4o', inputTokens: 100, maxOutputTokens: 50 }
  const usage = { inputTokens: 90, outputTokens: 40 }
  if (variant === 'flexible') {
    const thread = new RateLimiterMemory({ points: huge, duration: 0 })
    return async () => {
      await thread.consume('t', 150)
      return thread.reward('t', 20)
    }
  }
  if (variant === 'apiShape') {
    let sequence = 0
    // a Tally's nine fields, in their order
    const tally = (input: number, output: number) => ({
      tokens: input + output,
      inputTokens: input,
      outputTokens: output,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      costUsd: 0,
      requests: 1,
      estimatedRequests: 0,
      unpricedRequests: 0,
    })
    class Shape {
      id: string
      amount: object
      expiresAt: number
      state = 'open'
      constructor(id: string, amount: object, expiresAt: number) {
        this.id = id
        this.amount = amount
        this.expiresAt = expiresAt
      }
      settle(used: typeof usage) {
        this.state = 'settled'
        const counted = tally(used.inputTokens, used.outputTokens)
        return Promise.resolve({ warnings: [], usage: counted, costUsd: counted.costUsd })
      }
    }
    return async () =>
      (
        await Promise.resolve(
          new Shape(
            `r${sequence++}`,
            tally(request.inputTokens, request.maxOutputTokens),
            Date.now() + 60_000,
          ),
        )
      ).settle(usage)
  }
  let store: BudgetStore | undefined
  if (variant === 'storeStubbed') {
    const held: StoreReserveResult = { ok: true, handle: {}, counters: [], exceeded: undefined }
    const closed: StoreCommitResult = { counters: [], reservationFound: true }
    store = { ...memoryStore(), reserveSync: () => held, commitSync: () => closed }
  }
  const prices = { models: { 'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 } } }
  const budget = createBudget({ limits: [{ scope: 'thread', tokens: huge }], track: [], prices, store })
  const context = { thread: 't' }
  return async () => (await budget.reserve(context, request)).settle(usage)
}

const cpuMicros = () => {
  const { user, system } = process.cpuUsage()
  return user + system
}

if (args[0] === 'variant') {
  const pair = pairOf(args[1] as Variant)
  const count = Number(args[2])
  for (let i = 0; i < count; i++) await pair() // warm up
  const start = cpuMicros()
  for (let i = 0; i < count; i++) await pair()
  console.log(Math.round(count / ((cpuMicros() - start) / 1e6)))
  process.exit(0)
}

const rounds = option('--rounds', 5)
const pairs = option('--pairs', 500_000)
const figures: Record<Variant, number[]> = { flexible: [], ours: [], storeStubbed: [], apiShape: [] }
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < variants.length; k++) {
    const variant = variants[(k + round) % variants.length]!
    const output = execFileSync(process.execPath, [import.meta.filename, 'variant', variant, String(pairs)], {
      encoding: 'utf8',
    })
    figures[variant].push(Number(output.trim()))
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!
const perSecond = Object.fromEntries(variants.map((v) => [v, median(figures[v])])) as Record<Variant, number>
const ns = (variant: Variant) => Math.round(1e9 / perSecond[variant])
console.log(
  JSON.stringify({
    benchmark: 'core-bounds',
    node: process.version,
    rounds,
    pairsPerCpuSecond: perSecond,
    nanosecondsPerPair: Object.fromEntries(variants.map((v) => [v, ns(v)])),
    // ÷ RateLimiterMemory's pairs per CPU second
    ratios: Object.fromEntries(
      variants.map((v) => [v, Math.round((perSecond[v] / perSecond.flexible) * 100) / 100]),
    ),
    // what the memory store's two operations cost inside the pair, and the engine's work beyond the API
    storeNanoseconds: ns('ours') - ns('storeStubbed'),
    engineNanoseconds: ns('storeStubbed') - ns('apiShape'),
  }),
)
