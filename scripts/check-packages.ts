/**
 * Packaging check of every public package, on the tarball `pnpm publish` would upload (`pnpm pack`):
 * its files and metadata (LICENSE, README, CHANGELOG, repository, homepage, bugs, keywords, engines, no
 * `workspace:` range, no source-only export condition, every export target present, README links that
 * work on the registry), `publint --strict`, and `attw` on every profile (node10, node16 from CJS and
 * from ESM, bundler: the packages are dual ESM + CJS). Then that the core's main entry is edge-safe.
 * Run after `pnpm build`: `pnpm check:packages`.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { packPublic } from './pack-public.ts'

const root = join(import.meta.dirname, '..')
const bin = (name: string) => join(root, 'node_modules', '.bin', name)
const failures: string[] = []
const destination = mkdtempSync(join(tmpdir(), 'tokenwarden-packs-'))

try {
  for (const { pkg, tarball } of packPublic(destination)) {
    const { name } = pkg.manifest
    const problems = tarballProblems(tarball)
    // publishConfig.exports replaces exports when packing: it must be exports without the source condition.
    const withoutSource = JSON.stringify(pkg.manifest.exports, (key, value) =>
      key === '@tokenwarden/source' ? undefined : value,
    )
    const published = JSON.stringify((pkg.manifest.publishConfig as { exports?: unknown })?.exports)
    if (published !== withoutSource) {
      problems.push('publishConfig.exports is not exports without the @tokenwarden/source condition')
    }
    if (problems.length === 0) console.log(`ok   contents ${name}`)
    else {
      failures.push(`contents ${name}`)
      console.log(`FAIL contents ${name}\n  ${problems.join('\n  ')}`)
    }
    for (const [tool, args] of [
      ['publint', ['run', tarball, '--strict']],
      ['attw', [tarball, '--profile', 'strict', '--format', 'table-flipped']],
    ] as const) {
      try {
        execFileSync(bin(tool), args, { cwd: pkg.dir, stdio: 'pipe' })
        console.log(`ok   ${tool.padEnd(8)} ${name}`)
      } catch (error) {
        const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer }
        failures.push(`${tool} ${name}`)
        console.log(`FAIL ${tool.padEnd(8)} ${name}\n${stdout ?? ''}${stderr ?? ''}`)
      }
    }
  }
} finally {
  rmSync(destination, { recursive: true, force: true })
}

/** What a published package must carry; an empty list when the tarball is complete. */
function tarballProblems(tarball: string): string[] {
  const files = new Set(
    execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((file) => file.replace(/^package\//, '')),
  )
  const read = (file: string) =>
    execFileSync('tar', ['xzfO', tarball, `package/${file}`], { encoding: 'utf8' })
  const problems: string[] = []
  for (const file of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json']) {
    if (!files.has(file)) problems.push(`${file} is missing`)
  }
  if (
    files.has('LICENSE') &&
    !/^MIT License\n\nCopyright \(c\) \d{4} tokenwarden contributors\n/.test(read('LICENSE'))
  ) {
    problems.push('LICENSE is not the MIT license of "tokenwarden contributors"')
  }
  if (files.has('README.md')) {
    for (const [link] of read('README.md').matchAll(/\]\((?!https?:|#|mailto:)[^)]*\)/g)) {
      problems.push(`README.md links to ${link.slice(1)}, which does not resolve on the registry`)
    }
  }
  const text = read('package.json')
  const manifest = JSON.parse(text)
  const required: [string, unknown][] = [
    ['license', manifest.license === 'MIT'],
    [
      'repository.url',
      /^git\+https:\/\/github\.com\/tokenwarden\/tokenwarden\.git$/.test(manifest.repository?.url),
    ],
    ['repository.directory', typeof manifest.repository?.directory === 'string'],
    ['homepage', typeof manifest.homepage === 'string'],
    ['bugs.url', typeof manifest.bugs?.url === 'string'],
    ['keywords', Array.isArray(manifest.keywords) && manifest.keywords.length > 0],
    ['engines.node', /^>=\d+\.\d+\.\d+$/.test(manifest.engines?.node)],
  ]
  for (const [field, ok] of required) if (!ok) problems.push(`package.json: ${field} is missing or wrong`)
  if (text.includes('workspace:')) problems.push('package.json keeps a workspace: range')
  if (text.includes('@tokenwarden/source'))
    problems.push('package.json keeps the @tokenwarden/source condition')
  const targets = (value: unknown): string[] =>
    typeof value === 'string' ? [value] : Object.values(value ?? {}).flatMap(targets)
  for (const target of [
    ...targets(manifest.exports),
    manifest.main,
    manifest.types,
    ...targets(manifest.bin),
  ]) {
    const file = String(target).replace(/^\.\//, '')
    if (!files.has(file)) problems.push(`package.json points to ${target}, which is not in the tarball`)
  }
  return problems
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
  `${failures.some((f) => f.startsWith('edge:')) ? 'FAIL' : 'ok  '} edge     @tokenwarden/core main and adapter entries (${seen.size} files, no node: or dependency imports)`,
)

if (failures.length > 0) {
  console.error(`packaging check failed: ${failures.join(', ')}`)
  process.exit(1)
}
