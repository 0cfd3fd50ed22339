import type { Cluster, Redis } from 'ioredis'
import type { ScriptCall } from './budget-arguments.ts'
import { budgetScript, budgetScriptSha } from './budget-script.ts'
import { decodeReply, type ScriptReply } from './decode-reply.ts'

/**
 * Runs `budgetScript` by its SHA in one round trip. After `NOSCRIPT` (a restarted or failed-over server,
 * `SCRIPT FLUSH`) it runs the script once with `EVAL`, which loads it again on that server.
 *
 * @example
 * const values = await runScript(client, encodeReserve(keys, request, settings))
 */
export async function runScript(client: Redis | Cluster, { keys, args }: ScriptCall): Promise<ScriptReply> {
  const commands = client as unknown as BufferCommands
  try {
    return decodeReply(await commands.evalshaBuffer(budgetScriptSha, keys.length, ...keys, ...args))
  } catch (error) {
    if (!isNoScript(error)) throw error
    return decodeReply(await commands.evalBuffer(budgetScript, keys.length, ...keys, ...args))
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

/** ioredis has a `…Buffer` variant of every command (the reply's bulk strings as Buffers); its types omit these two. */
interface BufferCommands {
  evalshaBuffer(...args: (string | number | Buffer)[]): Promise<Buffer[]>
  evalBuffer(...args: (string | number | Buffer)[]): Promise<Buffer[]>
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}
