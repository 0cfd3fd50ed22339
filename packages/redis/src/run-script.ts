import type { Cluster, Redis } from 'ioredis'
import type { ScriptCall } from './budget-arguments.ts'
import { budgetScript, budgetScriptSha } from './budget-script.ts'
import { decodeMsgpack, type PackedValue } from './decode-msgpack.ts'

/**
 * Runs `budgetScript` by its SHA in one round trip. After `NOSCRIPT` (a restarted or failed-over server,
 * `SCRIPT FLUSH`) it runs the script once with `EVAL`, which loads it again on that server. Rejects
 * after `timeoutMs`; the command may still run later if the client had queued it (offline queue).
 *
 * @example
 * const reply = await runScript(client, encodeReserve(keys, request, 1e-9), 2000)
 */
export async function runScript(
  client: Redis | Cluster,
  { keys, args }: ScriptCall,
  timeoutMs: number,
): Promise<PackedValue[]> {
  const call = async (): Promise<PackedValue[]> => {
    try {
      return decodeMsgpack(
        await (client as unknown as BufferCommands).evalshaBuffer(
          budgetScriptSha,
          keys.length,
          ...keys,
          ...args,
        ),
      )
    } catch (error) {
      if (!isNoScript(error)) throw error
      return decodeMsgpack(
        await (client as unknown as BufferCommands).evalBuffer(budgetScript, keys.length, ...keys, ...args),
      )
    }
  }
  if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) return call()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply from Redis within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    return await Promise.race([call(), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** ioredis has a `…Buffer` variant of every command (the reply as a Buffer); its types omit these two. */
interface BufferCommands {
  evalshaBuffer(...args: (string | number)[]): Promise<Buffer>
  evalBuffer(...args: (string | number)[]): Promise<Buffer>
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}
