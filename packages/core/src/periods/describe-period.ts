const calendar: Record<string, string> = {
  none: 'in total',
  hour: 'this hour',
  day: 'today',
  week: 'this week',
  month: 'this month',
}

const units: [number, string][] = [
  [604_800_000, 'week'],
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1_000, 'second'],
  [1, 'millisecond'],
]

/**
 * A period as people read it in a sentence, from its machine-readable label (the `period` field of
 * errors, warnings and statuses): `'in total'`, `'this hour'`, `'today'`, `'this week'`, `'this month'`,
 * or for a rolling window `'in the last hour'`, `'in the last 10 minutes'`. An unknown label is returned
 * as it is.
 *
 * @example
 * describePeriod('rolling:3600000:10') // 'in the last hour'
 * describePeriod('rolling:600000:10') // 'in the last 10 minutes'
 * describePeriod('day') // 'today'
 */
export function describePeriod(label: string): string {
  const fixed = Object.hasOwn(calendar, label) ? calendar[label] : undefined
  if (fixed !== undefined) return fixed
  const match = /^rolling:(\d+):\d+$/.exec(label)
  const ms = match === null ? 0 : Number(match[1])
  if (!(ms > 0)) return label
  for (const [size, unit] of units) {
    if (ms % size === 0) {
      const count = ms / size
      return count === 1 ? `in the last ${unit}` : `in the last ${count.toLocaleString('en-US')} ${unit}s`
    }
  }
  return label
}
