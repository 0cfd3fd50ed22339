import type { Cluster, Redis } from 'ioredis'
import type { ScriptCall } from './budget-arguments.ts'
import { budgetFunction, budgetLibrary, budgetScript, budgetScriptSha } from './budget-script.ts'
import { decodeReply, type ScriptReply } from './decode-reply.ts'

/** Clients whose server cannot run functions (before Redis 7, or denied): they run the script. */
const scriptOnly = new WeakSet<object>()

/**
 * Runs the budget code in one round trip: as the function {@link budgetFunction} (`FCALL`; its
 * definitions are made once, when the library loads, not on every call), loading the library first
 * when the server does not have it (a new or flushed server). A server without functions (before Redis
 * 7, `FCALL` renamed or denied) runs `budgetScript` by its SHA instead, from then on for this client;
 * after `NOSCRIPT` it runs the script once with `EVAL`, which loads it again on that server. None of
 * these refusals ran anything, so trying again is safe.
 *
 * @example
 * const reply = await runScript(client, encodeReserve(keys, request, settings))
 */
export async function runScript(client: Redis | Cluster, { keys, args }: ScriptCall): Promise<ScriptReply> {
  const commands = client as unknown as BufferCommands
  if (!scriptOnly.has(client)) {
    try {
      return decodeReply(await commands.fcallBuffer(budgetFunction, keys.length, ...keys, ...args))
    } catch (error) {
      if (isNoFunction(error) && (await loadLibrary(client))) {
        return decodeReply(await commands.fcallBuffer(budgetFunction, keys.length, ...keys, ...args))
      }
      if (!isNoFunction(error) && !isRefused(error)) throw error
      scriptOnly.add(client)
    }
  }
  try {
    return decodeReply(await commands.evalshaBuffer(budgetScriptSha, keys.length, ...keys, ...args))
  } catch (error) {
    if (!isNoScript(error)) throw error
    return decodeReply(await commands.evalBuffer(budgetScript, keys.length, ...keys, ...args))
  }
}

/**
 * Loads {@link budgetLibrary} (on every primary of a cluster); `false` when the server refuses it.
 * Connection errors reject.
 */
async function loadLibrary(client: Redis | Cluster): Promise<boolean> {
  const servers: Redis[] = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis]
  try {
    await Promise.all(
      servers.map((server) =>
        server.call('FUNCTION', 'LOAD', budgetLibrary).catch((error: unknown) => {
          // another process loaded the same version first
          if (!(error instanceof Error && error.message.includes('already exists'))) throw error
        }),
      ),
    )
    return true
  } catch (error) {
    if (isRefused(error)) return false
    throw error
  }
}

/** The error of {@link withTimeout}: no reply in time (the command may still run later). */
export class ReplyTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no reply from Redis within ${timeoutMs} ms`)
    this.name = 'ReplyTimeoutError'
  }
}

/**
 * Rejects with {@link ReplyTimeoutError} when `promise` takes longer than `timeoutMs`.
 *
 * @example
 * await withTimeout(runScript(client, call), 2000)
 */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReplyTimeoutError(timeoutMs)), timeoutMs)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** ioredis has a `…Buffer` variant of every command (the reply's bulk strings as Buffers); its types omit these. */
interface BufferCommands {
  fcallBuffer(...args: (string | number | Buffer)[]): Promise<Buffer | Buffer[]>
  evalshaBuffer(...args: (string | number | Buffer)[]): Promise<Buffer | Buffer[]>
  evalBuffer(...args: (string | number | Buffer)[]): Promise<Buffer | Buffer[]>
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}

function isNoFunction(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('ERR Function not found')
}

/** The server does not know or allow the command: unknown (before Redis 7, renamed), or ACL denied. */
function isRefused(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.message.startsWith('ERR unknown command') || error.message.startsWith('NOPERM'))
  )
}
