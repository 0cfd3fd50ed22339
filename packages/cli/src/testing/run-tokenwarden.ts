import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The built command, as `bin.tokenwarden` points to it. */
export const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

/**
 * Runs the built `tokenwarden` command in a child process and collects its output and exit code.
 *
 * @example
 * const { code, stdout } = await runTokenwarden(['status', '--store', 'sqlite:./budget.db'])
 */
export function runTokenwarden(
  args: readonly string[],
  { env = {} }: { env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (!existsSync(cliPath)) {
    throw new Error(`${cliPath} is missing: build first (pnpm --filter @tokenwarden/cli build)`)
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}
