import type * as NodeSqlite from 'node:sqlite'
import { UnsupportedRuntimeError } from '@tokenwarden/core'

/** What the store needs: unflagged `node:sqlite` with `setReturnArrays` and `isTransaction` (22.16). */
const required = 'Node.js ≥ 22.16.0'

/**
 * Loads `node:sqlite` through `process.getBuiltinModule` and checks that it has what the store uses, so
 * that an unsupported runtime fails when the store is created, with a clear error, rather than at the
 * first `reserve` (where `failOpen` would let calls through unbudgeted).
 *
 * @example
 * const { DatabaseSync } = loadNodeSqlite() // throws UnsupportedRuntimeError on Node.js 22.15
 */
export function loadNodeSqlite(): typeof NodeSqlite {
  const unsupported = (missing: string, cause?: unknown) =>
    new UnsupportedRuntimeError({ store: 'sqlite', required, runtime: runtimeName(), missing, cause })
  const getBuiltinModule = globalThis.process?.getBuiltinModule
  if (typeof getBuiltinModule !== 'function') throw unsupported('process.getBuiltinModule')
  let sqlite: typeof NodeSqlite | undefined
  try {
    sqlite = getBuiltinModule.call(process, 'node:sqlite') as typeof NodeSqlite | undefined
  } catch (cause) {
    throw unsupported('node:sqlite', cause)
  }
  // Node.js 22.5–22.12 has node:sqlite only behind --experimental-sqlite: getBuiltinModule gives undefined.
  if (sqlite?.DatabaseSync === undefined) throw unsupported('node:sqlite')
  if (typeof sqlite.StatementSync?.prototype?.setReturnArrays !== 'function') {
    throw unsupported('node:sqlite StatementSync#setReturnArrays')
  }
  return sqlite
}

function runtimeName(): string {
  const versions: Partial<Record<string, string>> = globalThis.process?.versions ?? {}
  if (versions.bun !== undefined) return `Bun ${versions.bun}`
  if (versions.deno !== undefined) return `Deno ${versions.deno}`
  return versions.node === undefined ? 'a runtime without Node.js APIs' : `Node.js ${versions.node}`
}
