/**
 * Packs every public workspace package (those under `packages/` without `private: true`) with
 * `pnpm pack`, which applies `publishConfig` and turns `workspace:` ranges into versions, exactly as
 * `pnpm publish` would. Examples, tests, benchmarks and private packages are never packed.
 *
 * Usage: `pnpm pack:public [destination]` (default `artifacts/packages`); prints one tarball per line.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = join(import.meta.dirname, '..')

/** A public workspace package: its directory and manifest. */
export interface PublicPackage {
  dir: string
  manifest: { name: string; version: string; [field: string]: unknown }
}

/** Every package under `packages/` that is not `private`, in name order. */
export function publicPackages(): PublicPackage[] {
  return readdirSync(join(root, 'packages'))
    .sort()
    .map((name) => join(root, 'packages', name))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => manifest.private !== true)
}

/** Packs each public package into `destination` and returns the tarballs' paths. */
export function packPublic(destination: string): { pkg: PublicPackage; tarball: string }[] {
  mkdirSync(destination, { recursive: true })
  return publicPackages().map((pkg) => {
    execFileSync('pnpm', ['pack', '--pack-destination', destination], { cwd: pkg.dir, stdio: 'pipe' })
    const file = `${pkg.manifest.name.replace(/^@/, '').replace('/', '-')}-${pkg.manifest.version}.tgz`
    return { pkg, tarball: join(destination, file) }
  })
}

if (import.meta.main) {
  const destination = resolve(process.argv[2] ?? join(root, 'artifacts', 'packages'))
  for (const { tarball } of packPublic(destination)) console.log(tarball)
}
