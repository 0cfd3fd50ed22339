import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A throwaway `redis-server` on a free 127.0.0.1 port. */
export interface TestRedisServer {
  port: number
  close(): Promise<void>
}

/**
 * Starts `/usr/bin/redis-server` (or the one on PATH) on a free loopback port, without persistence,
 * optionally with a password. Throws when the binary is missing: these tests never skip.
 *
 * @example
 * const server = await startRedisServer({ password: 'secret' })
 * await server.close()
 */
export async function startRedisServer({ password }: { password?: string } = {}): Promise<TestRedisServer> {
  const binary = existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server'
  const port = await freePort()
  const directory = mkdtempSync(join(tmpdir(), 'tokenwarden-cli-redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--save', '']
  args.push('--appendonly', 'no')
  if (password !== undefined) args.push('--requirepass', password)
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) resolve()
    })
    child.stderr!.resume()
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output.slice(-300)}`)))
  })
  return {
    port,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}
