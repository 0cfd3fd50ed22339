/**
 * Runs every benchmark in one go, one process at a time, and prints the figures against the targets.
 * With `--write`, also rewrites BENCHMARKS.md. Needs built packages (`pnpm build`) and, for Redis,
 * `redis-server` on the PATH; redis-server's instructions per pair are counted when valgrind is there.
 *
 * Run: pnpm bench [--write] [--quick] [core|bounds|naive|adapters|redis|instructions|sqlite|bounded …]
 * Naming benchmarks runs only those (e.g. `pnpm bench core` while tuning the core pair); `--write` needs
 * all of them.
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import { join } from 'node:path'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const names = ['core', 'bounds', 'naive', 'adapters', 'redis', 'instructions', 'sqlite', 'bounded'] as const
const only = args.filter((arg) => !arg.startsWith('--'))
for (const name of only) {
  if (!names.includes(name as never))
    throw new Error(`unknown benchmark ${name}; expected ${names.join(', ')}`)
}
if (only.length > 0 && args.includes('--write')) throw new Error('--write runs every benchmark: name none')
const wanted = (name: (typeof names)[number]) => only.length === 0 || only.includes(name)
const here = import.meta.dirname

function run(script: string, scriptArgs: string[] = [], nodeArgs: string[] = []): Record<string, any> {
  process.stderr.write(`running ${script} ${scriptArgs.join(' ')}\n`)
  const output = execFileSync(process.execPath, [...nodeArgs, join(here, script), ...scriptArgs], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 10 * 60_000,
  })
  const last = output.trim().split('\n').at(-1)!
  return JSON.parse(last)
}

const scopes = quick ? '100000' : '1000000'
const skipped = undefined as unknown as Record<string, any>
const core = wanted('core')
  ? run('core-memory.ts', ['--scopes', scopes, '--rounds', quick ? '3' : '7'], ['--expose-gc'])
  : skipped
const bounds = wanted('bounds')
  ? run('core-bounds.ts', ['--rounds', quick ? '3' : '5', '--pairs', quick ? '200000' : '500000'])
  : skipped
const naive = wanted('naive') ? run('naive-baseline.ts', ['--scopes', scopes], ['--expose-gc']) : skipped
const adapters = wanted('adapters')
  ? run('adapter-overhead.ts', ['--calls', quick ? '10000' : '40000'])
  : skipped
const redis = wanted('redis')
  ? run('redis-throughput.ts', [
      '--processes',
      '4',
      '--pairs',
      quick ? '8000' : '40000',
      '--rounds',
      quick ? '1' : '3',
    ])
  : skipped
const hasValgrind = (() => {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()
const instructions =
  wanted('instructions') && hasValgrind
    ? run('redis-instructions.ts', ['--pairs', quick ? '1000' : '4000'])
    : skipped
if (wanted('instructions') && !hasValgrind) process.stderr.write('no valgrind: redis-instructions skipped\n')
const sqlite = wanted('sqlite') ? run('sqlite-throughput.ts', ['--processes', '4']) : skipped
const bounded = wanted('bounded')
  ? run('bounded-memory.ts', ['--threads', quick ? '200000' : '1000000'], ['--expose-gc'])
  : skipped

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**')
/** A ratio of one run's alternating rounds: median (min–max). */
const spread = (r: { median: number; min: number; max: number }) => `${r.median}× (${r.min}–${r.max})`
const rows: string[][] = [
  ...(core === skipped
    ? []
    : [
        [
          'core reserve+settle pairs per CPU second (memory store, 1 limit, one core)',
          fmt(core.pairsPerSecondOneLimit),
          '≥ 1,000,000',
          verdict(core.pairsPerSecondOneLimit >= 1_000_000),
        ],
        [
          'rate-limiter-flexible RateLimiterMemory consume+reward pairs per CPU second (1 key)',
          fmt(core.flexiblePairsPerSecondOneLimit),
          '—',
          '',
        ],
        [
          `core ÷ RateLimiterMemory, 1 limit (median of ${core.rounds} alternating rounds, min–max)`,
          spread(core.ratioOneLimit),
          '≥ 1.0×',
          verdict(core.ratioOneLimit.median >= 1),
        ],
        [
          'core pairs per CPU second with 3 limits (thread, agent USD/day, global requests/month)',
          fmt(core.pairsPerSecondThreeLimits),
          '—',
          '',
        ],
        [
          'RateLimiterMemory pairs per CPU second, 3 limiters (consume on 3 keys, reward 2, one after the other)',
          fmt(core.flexiblePairsPerSecondThreeLimits),
          '—',
          '',
        ],
        [
          `core ÷ RateLimiterMemory, 3 limits (median of ${core.rounds} rounds, min–max)`,
          spread(core.ratioThreeLimits),
          '≥ 0.5×',
          verdict(core.ratioThreeLimits.median >= 0.5),
        ],
        [
          'bare `Map` check-then-add pairs per CPU second (floor: one await per operation, 1 key)',
          fmt(core.bareMapPairsPerSecond),
          '—',
          '',
        ],
        [
          `bytes per active scope (${fmt(core.scopes)} scopes)`,
          fmt(core.bytesPerScope),
          '≤ 300',
          verdict(core.bytesPerScope <= 300),
        ],
      ]),
  ...(bounds === skipped
    ? []
    : [
        [
          `what bounds the 1-limit ratio, each ÷ RateLimiterMemory (own processes, median of ${bounds.rounds}): our pair (${bounds.nanosecondsPerPair.ours} ns) / with the store's two operations stubbed (${bounds.nanosecondsPerPair.storeStubbed} ns) / the API's shape alone, no work (${bounds.nanosecondsPerPair.apiShape} ns; RateLimiterMemory ${bounds.nanosecondsPerPair.flexible} ns)`,
          `${bounds.ratios.ours}× / ${bounds.ratios.storeStubbed}× / ${bounds.ratios.apiShape}×`,
          '—',
          '',
        ],
      ]),
  ...(naive === skipped
    ? []
    : [
        ['naive dictionary-and-lock tracker pairs/s (baseline, 1 limit)', fmt(naive.pairsPerSecond), '—', ''],
        [`naive tracker bytes per scope (${fmt(naive.scopes)} scopes)`, fmt(naive.bytesPerScope), '—', ''],
      ]),
  ...(adapters?.results ?? []).map((r: any) => [
    `${r.adapter} adapter's own overhead per call, over the core pair (fastest rounds: bare ${r.bareUs} µs → ${r.budgetedUs} µs, ×${r.ratio}${r.noOpHookUs === undefined ? '' : `; a no-op hook alone: ${r.noOpHookUs} µs`}; overhead ${r.noOpHookUs === undefined ? r.overheadUs : r.overheadOverNoOpUs} µs less the core pair's ${r.corePairUs} µs; median of paired rounds ${(r.noOpHookUs === undefined ? r.pairedOverheadUs : r.pairedOverNoOpUs).median} µs)`,
    `${r.ownOverheadUs} µs`,
    '≤ 5 µs',
    verdict(r.ownOverheadUs <= 5),
  ]),
  ...(redis === skipped
    ? []
    : [
        [
          `Redis pairs/s, 4 processes on one budget (2 limits, no tracking counter or history: RateLimiterRedis's work; median of ${redis.rounds?.length ?? 1} alternating rounds)`,
          fmt(redis.pairsPerSecond),
          '≥ 20,000',
          verdict(redis.pairsPerSecond >= 20_000),
        ],
        [
          'RateLimiterRedis pairs/s in the same run (2 limiters: consume 150, reward 20)',
          fmt(redis.rateLimiterFlexible.pairsPerSecond),
          '—',
          '',
        ],
        [
          'Redis pairs/s ÷ RateLimiterRedis pairs/s',
          `${redis.pairsPerSecondRatio.toFixed(2)}×`,
          '≥ 1.0×',
          verdict(redis.pairsPerSecondRatio >= 1),
        ],
        [
          `redis-server CPU per pair ÷ RateLimiterRedis's (${redis.redisCpuMicrosecondsPerPair} µs vs ${redis.rateLimiterFlexible.redisCpuMicrosecondsPerPair} µs)`,
          `${redis.redisCpuRatio.toFixed(2)}×`,
          '≤ 1.0×',
          verdict(redis.redisCpuRatio <= 1),
        ],
        ...(redis.tracked === undefined
          ? []
          : [
              [
                `with the global tracking counter and hourly history: pairs/s (÷ RateLimiterRedis), redis-server CPU per pair (÷)`,
                `${fmt(redis.tracked.pairsPerSecond)} (${redis.trackedPairsPerSecondRatio.toFixed(2)}×), ${redis.tracked.redisCpuMicrosecondsPerPair} µs (${redis.trackedRedisCpuRatio.toFixed(2)}×)`,
                '—',
                '',
              ],
            ]),
      ]),
  ...(instructions === skipped
    ? []
    : [
        [
          `redis-server instructions per pair (callgrind): ours ${fmt(instructions.instructionsPerPair)}, RateLimiterRedis ${fmt(instructions.rateLimiterRedisInstructionsPerPair)}`,
          `${instructions.instructionsRatio.toFixed(2)}×`,
          '≤ 1.0×',
          verdict(instructions.instructionsRatio <= 1),
        ],
        [
          `the floor of our layout: its commands in two function calls with no logic (${fmt(instructions.floorInstructionsPerPair)})`,
          `${instructions.floorInstructionsRatio.toFixed(2)}×`,
          '—',
          '',
        ],
        [
          `instructions per pair with the tracking counter and history (${fmt(instructions.trackedInstructionsPerPair)})`,
          `${instructions.trackedInstructionsRatio.toFixed(2)}×`,
          '—',
          '',
        ],
      ]),
  ...(sqlite === skipped
    ? []
    : [['SQLite pairs/s, 4 processes on one file', fmt(sqlite.pairsPerSecond), '—', '']]),
  ...(bounded === skipped
    ? []
    : [
        [
          `heap above an idle budget after ${fmt(bounded.threads)} distinct threads came and went`,
          `${bounded.aboveIdleMb} MB`,
          '≤ 50 MB',
          verdict(bounded.aboveIdleMb <= 50),
        ],
      ]),
]

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}`
const table = [
  '| measure | result | target | |',
  '|---|---:|---:|---|',
  ...rows.map((row) => `| ${row.join(' | ')} |`),
].join('\n')
console.log(`${machine}\n\n${table}`)

if (args.includes('--write')) {
  const raw = [core, bounds, naive, adapters, redis, instructions, sqlite, bounded]
    .map((r) => JSON.stringify(r))
    .join('\n')
  const path = join(here, '..', 'BENCHMARKS.md')
  const previous = await import('node:fs').then((fs) => fs.readFileSync(path, 'utf8')).catch(() => '')
  const notes = previous.includes('<!-- notes -->')
    ? previous.slice(previous.indexOf('<!-- notes -->'))
    : '<!-- notes -->\n'
  writeFileSync(
    path,
    `# Benchmarks\n\nMeasured with \`pnpm bench --write\` (\`bench/run.ts\`), one benchmark at a time, on ${machine}.\n\n${table}\n\n<details><summary>Raw results</summary>\n\n\`\`\`json\n${raw}\n\`\`\`\n</details>\n\n${notes}`,
  )
  console.error(`wrote ${path}`)
}
