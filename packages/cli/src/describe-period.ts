/**
 * A period label as people read it: `day`, `rolling 1h`, `rolling 90m`; `none` (no reset) is `all time`.
 *
 * @example
 * describePeriod('rolling:3600000:10') // 'rolling 1h'
 */
export function describePeriod(label: string): string {
  if (label === 'none') return 'all time'
  const rolling = parseRollingLabel(label)
  if (rolling === undefined) return label
  return `rolling ${formatDuration(rolling.rollingMs)}`
}

/**
 * The window and bucket count of a rolling period label (`rolling:<ms>:<buckets>`, as the core writes
 * it into counter keys), or `undefined` for calendar periods.
 *
 * @example
 * parseRollingLabel('rolling:3600000:10') // { rollingMs: 3600000, buckets: 10, bucketMs: 360000 }
 */
export function parseRollingLabel(
  label: string,
): { rollingMs: number; buckets: number; bucketMs: number } | undefined {
  const match = /^rolling:(\d+):(\d+)$/.exec(label)
  if (match === null) return undefined
  const rollingMs = Number(match[1])
  const buckets = Number(match[2])
  if (!(rollingMs > 0 && buckets > 0)) return undefined
  return { rollingMs, buckets, bucketMs: rollingMs / buckets }
}

const durations: [number, string][] = [
  [604_800_000, 'w'],
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1_000, 's'],
]

function formatDuration(ms: number): string {
  for (const [size, suffix] of durations) if (ms % size === 0) return `${ms / size}${suffix}`
  return `${ms}ms`
}
