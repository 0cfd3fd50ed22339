/**
 * Summarizes a `.cpuprofile` (from `node --cpu-prof`): the functions with the most self time.
 *
 * Run: node bench/profile-summary.ts <file.cpuprofile> [--top 20]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount: number
}
const [file, ...rest] = process.argv.slice(2)
if (file === undefined) throw new Error('usage: node bench/profile-summary.ts <file.cpuprofile>')
const top = rest.includes('--top') ? Number(rest[rest.indexOf('--top') + 1]) : 20
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] }
const self = new Map<string, number>()
let total = 0
for (const node of profile.nodes) {
  const { functionName, url, lineNumber } = node.callFrame
  const where = url === '' ? '' : ` ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`
  const name = `${functionName || '(anonymous)'}${where}`
  self.set(name, (self.get(name) ?? 0) + node.hitCount)
  total += node.hitCount
}
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top)
for (const [name, hits] of rows) console.log(`${((hits / total) * 100).toFixed(1).padStart(5)} %  ${name}`)
