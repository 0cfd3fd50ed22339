#!/usr/bin/env node
import { unsupportedNodeMessage } from './node-requirement.ts'

const unsupported = unsupportedNodeMessage(process.versions.node)
if (unsupported !== undefined) {
  process.stderr.write(`${unsupported}\n`)
  process.exitCode = 1
} else {
  silenceSqliteWarning()
  // Loaded only once the version is known to be supported, so an older Node.js gets the line above.
  void import('./run-cli.ts')
    .then(({ runCli }) =>
      runCli(process.argv.slice(2), {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      }),
    )
    .then((code) => {
      process.exitCode = code
    })
}

/** Node.js 22 warns that node:sqlite is experimental on its first use; the command's output stays clean. */
function silenceSqliteWarning(): void {
  const emitWarning = process.emitWarning
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type
    if (type === 'ExperimentalWarning' && String(warning).startsWith('SQLite')) return
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest)
  } as typeof process.emitWarning
}
