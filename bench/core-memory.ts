/**
 * Core benchmark: reserve + settle pairs per second on the memory store (one core, one process), and
 * heap bytes per active scope.
 *
 * Run: node --expose-gc bench/core-memory.ts [--scopes 1000000]
 */
import { createBudget, type LimitConfig } from '@tokenwarden/core'

const args = process.argv.slice(2)
const scopeCount = Number(args[args.indexOf('--scopes') + 1] ?? 0) || 200_000
const prices = { models: { 'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 } } }
const gc = (globalThis as { gc?: () => void }).gc

async function pairsPerSecond(limits: LimitConfig[], ctx: Record<string, string>, seconds = 1.5) {
  const budget = createBudget({ limits, track: [], prices })
  const request = { model: 'gpt-4o', inputTokens: 100, maxOutputTokens: 50 }
  const usage = { inputTokens: 90, outputTokens: 40 }
  // warm up
  for (let i = 0; i < 50_000; i++) await (await budget.reserve(ctx, request)).settle(usage)
  let pairs = 0
  const start = performance.now()
  const deadline = start + seconds * 1000
  while (performance.now() < deadline) {
    for (let i = 0; i < 10_000; i++) await (await budget.reserve(ctx, request)).settle(usage)
    pairs += 10_000
  }
  return Math.round(pairs / ((performance.now() - start) / 1000))
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

const oneLimit = await pairsPerSecond([{ scope: 'thread', tokens: Number.MAX_SAFE_INTEGER }], { thread: 't' })
const threeLimits = await pairsPerSecond(
  [
    { scope: 'thread', tokens: Number.MAX_SAFE_INTEGER },
    { scope: 'agent', costUsd: 1e12, period: 'day' },
    { scope: 'global', requests: Number.MAX_SAFE_INTEGER, period: 'month' },
  ],
  { thread: 't', agent: 'a' },
)
const bytes = await bytesPerScope(scopeCount)
const result = {
  benchmark: 'core-memory',
  node: process.version,
  pairsPerSecondOneLimit: oneLimit,
  pairsPerSecondThreeLimits: threeLimits,
  scopes: scopeCount,
  bytesPerScope: bytes ?? 'run with --expose-gc',
}
console.log(JSON.stringify(result))
