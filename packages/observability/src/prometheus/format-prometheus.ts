import { BudgetValidationError } from '@tokenwarden/core'

/**
 * One metric family of the Prometheus text format.
 *
 * @example
 * const family: PrometheusFamily = { name: 'jobs_total', help: 'Jobs run', type: 'counter', samples: [{ value: 3 }] }
 */
export interface PrometheusFamily {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'untyped'
  samples: readonly { labels?: Readonly<Record<string, string>>; value: number }[]
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/**
 * Writes metric families in the Prometheus text exposition format 0.0.4: a `# HELP` and a `# TYPE` line per
 * family, then its samples, label values escaped (`\\`, `\"`, `\n`).
 *
 * @example
 * formatPrometheus([{ name: 'up', help: 'Up', type: 'gauge', samples: [{ labels: { job: 'a"b' }, value: 1 }] }])
 * // '# HELP up Up\n# TYPE up gauge\nup{job="a\\"b"} 1\n'
 */
export function formatPrometheus(families: readonly PrometheusFamily[]): string {
  const names = new Set<string>()
  let text = ''
  for (const family of families) {
    if (!metricName.test(family.name) || names.has(family.name)) {
      throw new BudgetValidationError({
        field: 'family.name',
        value: family.name,
        reason: 'expected a unique Prometheus metric name',
      })
    }
    names.add(family.name)
    text += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`
    for (const sample of family.samples)
      text += `${family.name}${formatLabels(sample.labels)} ${formatValue(sample.value)}\n`
  }
  return text
}

function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return ''
  const pairs: string[] = []
  for (const [name, value] of Object.entries(labels)) {
    if (!labelName.test(name) || name.startsWith('__')) {
      throw new BudgetValidationError({
        field: 'labels',
        value: name,
        reason: 'expected a Prometheus label name',
      })
    }
    pairs.push(`${name}="${escapeLabelValue(value)}"`)
  }
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}
