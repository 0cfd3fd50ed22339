// Compares two vitest JSON reports: the tests that pass with the first (a do-nothing wrapper) and fail
// with the second (every model wrapped in a huge budget) are behaviour changes.
// Usage: node scripts/framework-suites/compare-results.ts noop.json budget.json
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'

interface Report {
  numTotalTests: number
  testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[]
}

const passed = (path: string) => {
  const report = JSON.parse(readFileSync(path, 'utf8')) as Report
  const names = new Set<string>()
  for (const file of report.testResults)
    for (const test of file.assertionResults)
      if (test.status === 'passed') names.add(`${relative(process.cwd(), file.name)} > ${test.fullName}`) // names repeat across files
  return { total: report.numTotalTests, names }
}

const [baselinePath, wrappedPath] = process.argv.slice(2)
if (baselinePath === undefined || wrappedPath === undefined) {
  console.error('usage: compare-results.ts <do-nothing.json> <budgeted.json>')
  process.exit(2)
}
const baseline = passed(baselinePath)
const wrapped = passed(wrappedPath)
const changed = [...baseline.names].filter((name) => !wrapped.names.has(name)).sort()
console.log(
  `${baseline.total} tests; pass with the do-nothing wrapper: ${baseline.names.size}; with the budget: ${wrapped.names.size}`,
)
console.log(`behaviour changes: ${changed.length}`)
for (const name of changed) console.log(`  ${name}`)
process.exit(changed.length === 0 ? 0 : 1)
