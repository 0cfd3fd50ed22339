import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A `redis-server` child process on a loopback port, for tests. */
export interface RedisServer {
  readonly port: number
  readonly url: string
  /** Stops the server (SIGTERM; with `appendOnly` the data is kept for `start`). */
  stop(): Promise<void>
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>
  /** Freezes the server (SIGSTOP): connections stay open, commands wait. */
  pause(): void
  /** Thaws a paused server (SIGCONT). */
  resume(): void
  /** Stops it for good and removes its data directory. */
  close(): Promise<void>
}

/**
 * Starts a real `redis-server` (from PATH, else /usr/bin/redis-server) on a free 127.0.0.1 port. Throws
 * when the binary is missing: the Redis tests must fail loudly, never skip (`.ci/run` installs it).
 *
 * @example
 * const server = await startRedisServer()
 * const store = redisStore({ url: server.url })
 * await server.close()
 */
export async function startRedisServer({
  appendOnly = false,
  cluster = false,
  password,
  serverArgs = [],
}: {
  appendOnly?: boolean
  /** Require this password (`requirepass`); `url` does not include it. */
  password?: string
  /** Run as a one-node Redis Cluster owning every slot (cross-slot checks apply as in a real cluster). */
  cluster?: boolean
  /** More redis-server arguments, e.g. `['--rename-command', 'FCALL', '']` for a server without functions. */
  serverArgs?: readonly string[]
} = {}): Promise<RedisServer> {
  const binary = findRedisServer()
  const port = await freePort()
  const directory = mkdtempSync(join(tmpdir(), 'tokenwarden-redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--save', '']
  args.push('--appendonly', appendOnly ? 'yes' : 'no', '--appendfsync', 'always', '--protected-mode', 'no')
  if (password !== undefined) args.push('--requirepass', password)
  args.push(...serverArgs)
  if (cluster) {
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(directory, 'nodes.conf'))
    args.push('--cluster-announce-ip', '127.0.0.1')
  }
  let child: ChildProcess | undefined

  async function start(): Promise<void> {
    const spawned = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = spawned
    await new Promise<void>((resolve, reject) => {
      let output = ''
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes('Ready to accept connections')) {
          spawned.stdout!.off('data', onData)
          spawned.stdout!.resume()
          resolve()
        }
      }
      spawned.stdout!.on('data', onData)
      spawned.stderr!.resume()
      spawned.once('error', reject)
      spawned.once('exit', (code) =>
        reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`)),
      )
    })
  }

  async function stop(): Promise<void> {
    const running = child
    child = undefined
    if (running === undefined || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGTERM')
    await exited
  }

  await start()
  if (cluster) await assignAllSlots(port)
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async close() {
      if (child?.signalCode === null) child.kill('SIGCONT')
      await stop()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

async function assignAllSlots(port: number): Promise<void> {
  const { Redis } = await import('ioredis')
  const client = new Redis(port, '127.0.0.1')
  try {
    await client.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383')
    for (
      let attempt = 0;
      !((await client.call('CLUSTER', 'INFO')) as string).includes('cluster_state:ok');
      attempt++
    ) {
      if (attempt > 100) throw new Error('the one-node cluster did not become ready')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } finally {
    await client.quit()
  }
}

function findRedisServer(): string {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim()
  if (found !== '') return found
  if (existsSync('/usr/bin/redis-server')) return '/usr/bin/redis-server'
  throw new Error(
    '[tokenwarden] [redis] redis-server not found: the Redis tests need a real server (apt-get install redis-server; .ci/run installs it)',
  )
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
