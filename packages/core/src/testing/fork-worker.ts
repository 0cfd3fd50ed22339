import { type ChildProcess, fork } from 'node:child_process'
import type { FleetWorkerMessage } from './fleet-worker.ts'

/** A forked worker process with a queue of its messages. */
export interface ForkedWorker {
  readonly child: ChildProcess
  /** The next message of this type; rejects on an `error` message or an early exit. */
  next<T extends FleetWorkerMessage['type']>(type: T): Promise<Extract<FleetWorkerMessage, { type: T }>>
  /** Every message received so far. */
  readonly messages: FleetWorkerMessage[]
  exited: Promise<number | null>
}

/**
 * Forks a TypeScript worker script (Node strips the types) with IPC. Where Node does not strip types by
 * default (22.6–22.17) the child gets `--experimental-strip-types`.
 *
 * @example
 * const worker = forkWorker(new URL('./my-store-fleet-worker.ts', import.meta.url), [path, json])
 */
export function forkWorker(script: URL, args: string[]): ForkedWorker {
  const stripsTypes = Boolean((process.features as { typescript?: unknown }).typescript)
  const execArgv = stripsTypes
    ? process.execArgv
    : [...process.execArgv, '--experimental-strip-types', '--disable-warning=ExperimentalWarning']
  const child = fork(script, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const messages: FleetWorkerMessage[] = []
  const waiters: (() => void)[] = []
  let cursor = 0
  child.on('message', (message) => {
    messages.push(message as FleetWorkerMessage)
    for (const wake of waiters.splice(0)) wake()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  void exited.then(() => {
    for (const wake of waiters.splice(0)) wake()
  })
  return {
    child,
    messages,
    exited,
    async next(type) {
      for (;;) {
        while (cursor < messages.length) {
          const message = messages[cursor++]!
          if (message.type === 'error') throw new Error(`worker failed: ${message.message}`)
          if (message.type === type) return message as never
        }
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`worker exited (${child.exitCode ?? child.signalCode}) before sending "${type}"`)
        }
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
    },
  }
}
