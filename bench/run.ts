/**
 * Runs every benchmark in one go, one process at a time, and prints the figures against the targets.
 * With `--write`, also rewrites BENCHMARKS.md. Needs built packages (`pnpm build`) and, for Redis,
 * `redis-server` on the PATH.
 *
 * Run: pnpm bench [--write] [--quick]
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import { join } from 'node:path'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
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
const core = run('core-memory.ts', ['--scopes', scopes], ['--expose-gc'])
const naive = run('naive-baseline.ts', ['--scopes', scopes], ['--expose-gc'])
const adapters = run('adapter-overhead.ts', ['--calls', quick ? '5000' : '20000'])
const redis = run('redis-throughput.ts', ['--processes', '4', '--pairs', quick ? '8000' : '40000'])
const sqlite = run('sqlite-throughput.ts', ['--processes', '4'])
const bounded = run('bounded-memory.ts', ['--threads', quick ? '200000' : '1000000'], ['--expose-gc'])

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**')
const rows: string[][] = [
  [
    'core reserve+settle pairs/s (memory store, 1 limit, one core)',
    fmt(core.pairsPerSecondOneLimit),
    '≥ 1,000,000',
    verdict(core.pairsPerSecondOneLimit >= 1_000_000),
  ],
  [
    'core pairs/s with 3 limits (thread, agent USD/day, global requests/month)',
    fmt(core.pairsPerSecondThreeLimits),
    '—',
    '',
  ],
  ['naive dictionary-and-lock tracker pairs/s (baseline, 1 limit)', fmt(naive.pairsPerSecond), '—', ''],
  [
    `bytes per active scope (${fmt(core.scopes)} scopes)`,
    fmt(core.bytesPerScope),
    '≤ 300',
    verdict(core.bytesPerScope <= 300),
  ],
  [`naive tracker bytes per scope (${fmt(naive.scopes)} scopes)`, fmt(naive.bytesPerScope), '—', ''],
  ...adapters.results.map((r: any) => [
    `${r.adapter} adapter overhead per call (bare ${r.bareUs} µs → ${r.budgetedUs} µs, ×${r.ratio}${r.noOpHookUs === undefined ? '' : `; a no-op callback alone: ${r.noOpHookUs} µs`})`,
    `${r.noOpHookUs === undefined ? r.overheadUs : r.overheadOverNoOpUs} µs`,
    '≤ 5 µs',
    verdict((r.noOpHookUs === undefined ? r.overheadUs : r.overheadOverNoOpUs) <= 5),
  ]),
  [
    'Redis pairs/s, 4 processes on one budget',
    fmt(redis.pairsPerSecond),
    '≥ 20,000',
    verdict(redis.pairsPerSecond >= 20_000),
  ],
  ['SQLite pairs/s, 4 processes on one file', fmt(sqlite.pairsPerSecond), '—', ''],
  [
    `heap above an idle budget after ${fmt(bounded.threads)} distinct threads came and went`,
    `${bounded.aboveIdleMb} MB`,
    '≤ 50 MB',
    verdict(bounded.aboveIdleMb <= 50),
  ],
]

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}`
const table = [
  '| measure | result | target | |',
  '|---|---:|---:|---|',
  ...rows.map((row) => `| ${row.join(' | ')} |`),
].join('\n')
console.log(`${machine}\n\n${table}`)

if (args.includes('--write')) {
  const raw = [core, naive, adapters, redis, sqlite, bounded].map((r) => JSON.stringify(r)).join('\n')
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
