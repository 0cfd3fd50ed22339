/**
 * A driver for profiling the core pair: reserve + settle on the memory store in a loop, with 1 or 3 limits.
 *
 * Run: node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile-pair.ts [--limits 1|3] [--seconds 4]
 *      node bench/profile-summary.ts /tmp/prof/<file>.cpuprofile
 */
import { createBudget, type LimitConfig } from '@tokenwarden/core'

const args = process.argv.slice(2)
const option = (name: string, fallback: number) =>
  args.includes(name) ? Number(args[args.indexOf(name) + 1]) || fallback : fallback
const huge = Number.MAX_SAFE_INTEGER
const limits: LimitConfig[] =
  option('--limits', 1) === 3
    ? [
        { scope: 'thread', tokens: huge },
        { scope: 'agent', costUsd: 1e12, period: 'day' },
        { scope: 'global', requests: huge, period: 'month' },
      ]
    : [{ scope: 'thread', tokens: huge }]
const prices = { models: { 'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 } } }
const budget = createBudget({ limits, track: [], prices })
const ctx = { thread: 't', agent: 'a' }
const request = { model: 'gpt-4o', inputTokens: 100, maxOutputTokens: 50 }
const usage = { inputTokens: 90, outputTokens: 40 }
const deadline = performance.now() + option('--seconds', 4) * 1000
let pairs = 0
while (performance.now() < deadline) {
  for (let i = 0; i < 10_000; i++) await (await budget.reserve(ctx, request)).settle(usage)
  pairs += 10_000
}
console.log(JSON.stringify({ pairs }))
