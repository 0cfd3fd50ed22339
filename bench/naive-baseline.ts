/**
 * Baseline: the naive tracker of the seeds — a dictionary of counters behind an async lock, checked then
 * added (one limit, tokens only, no periods, no leases, no thresholds). What our engine is measured
 * against: reserve + settle pairs per second and heap bytes per active scope.
 *
 * Run: node --expose-gc bench/naive-baseline.ts [--scopes 1000000]
 */
const args = process.argv.slice(2)
const scopeCount = Number(args[args.indexOf('--scopes') + 1] ?? 0) || 200_000
const gc = (globalThis as { gc?: () => void }).gc

class NaiveTracker {
  private readonly used = new Map<string, number>()
  private readonly reserved = new Map<string, number>()
  private lock: Promise<void> = Promise.resolve()
  private readonly limit: number

  constructor(limit: number) {
    this.limit = limit
  }

  private async exclusive<T>(run: () => T): Promise<T> {
    const previous = this.lock
    let release!: () => void
    this.lock = new Promise((resolve) => (release = resolve))
    await previous
    try {
      return run()
    } finally {
      release()
    }
  }

  reserve(scope: string, tokens: number): Promise<boolean> {
    return this.exclusive(() => {
      const total = (this.used.get(scope) ?? 0) + (this.reserved.get(scope) ?? 0)
      if (total + tokens > this.limit) return false
      this.reserved.set(scope, (this.reserved.get(scope) ?? 0) + tokens)
      return true
    })
  }

  settle(scope: string, reserved: number, used: number): Promise<void> {
    return this.exclusive(() => {
      this.reserved.set(scope, (this.reserved.get(scope) ?? 0) - reserved)
      this.used.set(scope, (this.used.get(scope) ?? 0) + used)
    })
  }
}

async function pairsPerSecond(seconds = 1.5) {
  const tracker = new NaiveTracker(Number.MAX_SAFE_INTEGER)
  for (let i = 0; i < 50_000; i++) if (await tracker.reserve('t', 150)) await tracker.settle('t', 150, 130)
  let pairs = 0
  const start = performance.now()
  while (performance.now() < start + seconds * 1000) {
    for (let i = 0; i < 10_000; i++) if (await tracker.reserve('t', 150)) await tracker.settle('t', 150, 130)
    pairs += 10_000
  }
  return Math.round(pairs / ((performance.now() - start) / 1000))
}

async function bytesPerScope(count: number) {
  if (!gc) return undefined
  const tracker = new NaiveTracker(Number.MAX_SAFE_INTEGER)
  gc()
  const before = process.memoryUsage()
  for (let i = 0; i < count; i++) {
    await tracker.reserve(`thread-${i}`, 150)
    await tracker.settle(`thread-${i}`, 150, 130)
  }
  gc()
  const after = process.memoryUsage()
  const bytes = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers
  if (!(await tracker.reserve('thread-0', 1))) throw new Error('unexpected state')
  return Math.round(bytes / count)
}

console.log(
  JSON.stringify({
    benchmark: 'naive-baseline',
    node: process.version,
    pairsPerSecond: await pairsPerSecond(),
    scopes: scopeCount,
    bytesPerScope: (await bytesPerScope(scopeCount)) ?? 'run with --expose-gc',
  }),
)
