/**
 * Packaging check of every public package: `publint --strict` and `attw --pack --profile esm-only`
 * (the packages are ESM-only). Run after `pnpm build`: `pnpm check:packages`.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, posix } from 'node:path'

const root = join(import.meta.dirname, '..')
const bin = (name: string) => join(root, 'node_modules', '.bin', name)
const failures: string[] = []

for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const path = join(root, 'packages', dir)
  const manifest = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as {
    name: string
    private?: boolean
  }
  if (manifest.private) continue
  for (const [tool, args] of [
    ['publint', ['--strict']],
    ['attw', ['--pack', '.', '--profile', 'esm-only', '--format', 'table-flipped']],
  ] as const) {
    try {
      execFileSync(bin(tool), args, { cwd: path, stdio: 'pipe' })
      console.log(`ok   ${tool.padEnd(7)} ${manifest.name}`)
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer }
      failures.push(`${tool} ${manifest.name}`)
      console.log(`FAIL ${tool.padEnd(7)} ${manifest.name}\n${stdout ?? ''}${stderr ?? ''}`)
    }
  }
}
// The core's main and adapter entries must load on edge runtimes: no node: builtins, no require, no
// dependencies (adapters import `@tokenwarden/core/adapter` wherever they run).
const coreDist = join(root, 'packages', 'core', 'dist')
const seen = new Set<string>()
const visit = (file: string) => {
  if (seen.has(file)) return
  seen.add(file)
  const source = readFileSync(join(coreDist, file), 'utf8')
  for (const match of source.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
    const specifier = match[1]!
    if (specifier.startsWith('.')) visit(posix.join(posix.dirname(file), specifier))
    else failures.push(`edge: @tokenwarden/core/dist/${file} imports ${specifier}`)
  }
  if (/\brequire\(/.test(source)) failures.push(`edge: @tokenwarden/core/dist/${file} calls require()`)
}
visit('index.js')
visit('adapter/index.js')
console.log(
  `${failures.some((f) => f.startsWith('edge:')) ? 'FAIL' : 'ok  '} edge    @tokenwarden/core main and adapter entries (${seen.size} files, no node: or dependency imports)`,
)

if (failures.length > 0) {
  console.error(`packaging check failed: ${failures.join(', ')}`)
  process.exit(1)
}
