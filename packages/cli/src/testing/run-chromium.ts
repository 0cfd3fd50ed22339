import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Runs headless Debian `chromium` with `args` (plus `--headless --no-sandbox` and a throwaway profile)
 * and returns its stdout. Throws when the binary is missing: the HTML tests never skip.
 *
 * @example
 * const dom = await runChromium(['--dump-dom', 'file:///tmp/report.html'])
 */
export async function runChromium(args: readonly string[]): Promise<string> {
  const binary = existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : 'chromium'
  const profile = mkdtempSync(join(tmpdir(), 'tokenwarden-chromium-'))
  try {
    return await new Promise<string>((resolve, reject) => {
      const child = spawn(
        binary,
        ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profile}`, ...args],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
      })
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
      })
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      child.once('error', (error) => {
        clearTimeout(timer)
        reject(new Error(`cannot run ${binary} (apt-get install chromium): ${error.message}`))
      })
      child.once('close', (code) => {
        clearTimeout(timer)
        if (code === 0) resolve(stdout)
        else reject(new Error(`chromium exited with ${code}: ${stderr.slice(-500)}`))
      })
    })
  } finally {
    rmSync(profile, { recursive: true, force: true })
  }
}
