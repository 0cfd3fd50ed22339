/**
 * Bounded memory: heap after 1,000,000 distinct threads (each with its own user) have come and gone, each
 * making a call or two and never seen again, against an idle budget with the same limits. A fake clock
 * moves one second per thread (≈ 11.6 days for a million), so hourly periods end and idle conversations
 * are forgotten; a global limit with no period has a warning every conversation is shown once.
 *
 * Run: node --expose-gc bench/bounded-memory.ts [--threads 1000000]
 */
import { createBudget, type LimitConfig, memoryStore } from '@tokenwarden/core'

const args = process.argv.slice(2)
const threadCount = Number(args[args.indexOf('--threads') + 1] ?? 0) || 1_000_000
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')

const limits: LimitConfig[] = [
  { scope: 'global', tokens: 1e15 },
  { scope: 'thread', tokens: 50_000, period: 'hour' },
  { scope: 'agent', tokens: 1e15, period: 'day' },
]

function heapBytes(): number {
  gc!()
  gc!()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.arrayBuffers
}

const clock = { at: Date.UTC(2026, 0, 1) }
const store = memoryStore()
const budget = createBudget({ limits, store, now: () => clock.at })
// the global limit stands past its 75 % threshold: every new conversation is shown that warning once
await budget.record({ agent: 'warm-up', thread: 'warm-up' }, { inputTokens: 0.8e15, outputTokens: 0 })
budget.takeWarnings({ agent: 'warm-up', thread: 'warm-up' })
const idle = heapBytes()

const request = { inputTokens: 900, maxOutputTokens: 300 }
const usage = { inputTokens: 850, outputTokens: 200 }
let shown = 0
const start = performance.now()
for (let i = 0; i < threadCount; i++) {
  clock.at += 1_000
  const ctx = { agent: `agent-${i % 8}`, thread: `thread-${i}`, user: `user-${i}` }
  const calls = i % 2 === 0 ? 1 : 2
  for (let call = 0; call < calls; call++) {
    shown += budget.takeWarnings(ctx).length
    await (await budget.reserve(ctx, request)).settle(usage)
  }
}
const seconds = (performance.now() - start) / 1000
const after = heapBytes()
const counters = (await store.list({ now: clock.at })).length
if (shown < threadCount) throw new Error(`the global warning reached ${shown} of ${threadCount} threads`)

console.log(
  JSON.stringify({
    benchmark: 'bounded-memory',
    node: process.version,
    threads: threadCount,
    seconds: Math.round(seconds * 10) / 10,
    idleMb: Math.round(idle / 1e5) / 10,
    afterMb: Math.round(after / 1e5) / 10,
    aboveIdleMb: Math.round((after - idle) / 1e5) / 10,
    liveCounters: counters,
    warningsShown: shown,
  }),
)
