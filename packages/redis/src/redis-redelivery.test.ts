import { type AddressInfo, connect, createServer, type Socket } from 'node:net'
import { type CounterCharge, emptyTally, type Tally } from '@tokenwarden/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeCommit, encodeReserve } from './budget-arguments.ts'
import { redisKeys } from './redis-keys.ts'
import { redisStore } from './redis-store.ts'
import { runScript } from './run-script.ts'
import { type RedisServer, startRedisServer } from './testing/redis-server.ts'

let server: RedisServer
let admin: Redis
beforeAll(async () => {
  server = await startRedisServer()
  admin = new Redis(server.url)
})
afterAll(async () => {
  await admin?.quit()
  await server?.close()
})

const now = Date.now()
const tally = (values: Partial<Tally>): Tally => ({ ...emptyTally(), ...values })
const counters: CounterCharge[] = [{ key: 'a', caps: { tokens: 1000 }, expiresAt: null }]
const settings = { epsilon: 1e-9, retentionMs: 60_000 }
const reserve = (reservationId: string) => ({
  reservationId,
  now,
  leaseExpiresAt: now + 600_000,
  counters,
  amount: tally({ tokens: 300 }),
  enforce: true,
})

/**
 * A TCP proxy in front of the server that can lose replies: Redis runs what it receives, but while
 * `dropReplies` is set its answers never reach the client, as when a connection breaks after the
 * command ran.
 */
async function lossyProxy(port: number) {
  const sockets = new Set<Socket>()
  let dropReplies = false
  const proxy = createServer((downstream) => {
    const upstream = connect(port, '127.0.0.1')
    sockets.add(downstream)
    downstream.on('data', (chunk) => upstream.write(chunk))
    upstream.on('data', (chunk) => {
      if (!dropReplies) downstream.write(chunk)
    })
    const close = () => {
      sockets.delete(downstream)
      downstream.destroy()
      upstream.destroy()
    }
    downstream.on('close', close).on('error', close)
    upstream.on('close', close).on('error', close)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  return {
    url: `redis://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    set dropReplies(value: boolean) {
      dropReplies = value
    },
    /** Breaks every connection (the client reconnects and resends what got no answer). */
    breakConnections() {
      for (const socket of sockets) socket.destroy()
    },
    close: () => new Promise((resolve) => proxy.close(resolve)),
  }
}

/** How often Redis ran the budget code (as a function, or as a script). */
async function scriptCalls(): Promise<number> {
  const stats = await admin.info('commandstats')
  const calls = (command: string) =>
    Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0)
  return calls('fcall') + calls('evalsha')
}

/**
 * Runs `operation` with its reply lost, then breaks the connection once Redis ran it: ioredis
 * reconnects and resends the command, so Redis receives it twice.
 */
async function deliverTwice<T>(client: Redis, operation: () => Promise<T>): Promise<T> {
  const proxy = proxies.get(client)!
  const before = await scriptCalls()
  proxy.dropReplies = true
  const pending = operation()
  while ((await scriptCalls()) === before) await new Promise((resolve) => setTimeout(resolve, 10))
  proxy.dropReplies = false
  proxy.breakConnections()
  const result = await pending
  expect(await scriptCalls()).toBe(before + 2)
  return result
}

const proxies = new Map<Redis, Awaited<ReturnType<typeof lossyProxy>>>()

async function proxiedClient(): Promise<Redis> {
  const proxy = await lossyProxy(server.port)
  const client = new Redis(proxy.url, { retryStrategy: () => 20 })
  client.on('error', () => {})
  await client.ping()
  proxies.set(client, proxy)
  return client
}

async function closeClient(client: Redis): Promise<void> {
  client.disconnect()
  await proxies.get(client)?.close()
}

describe('redisStore', () => {
  describe('redelivery', () => {
    it('should apply the same script call once when it is sent twice', async () => {
      const keys = redisKeys('twice')
      await runScript(admin, encodeReserve(keys, reserve('r1'), settings))
      await runScript(admin, encodeReserve(keys, reserve('r1'), settings))
      const commit = { reservationId: 'r1', now, counters, usage: tally({ tokens: 200 }) }
      await runScript(admin, encodeCommit(keys, commit, settings))
      await runScript(admin, encodeCommit(keys, commit, settings))
      const store = redisStore({ client: admin, prefix: 'twice' })
      const [state] = await store.read({ now, counters })
      expect(state!.used.tokens).toBe(200)
      expect(state!.reserved.tokens).toBe(0)
    })

    it('should hold a reservation once when ioredis resends its reserve after a reconnect', async () => {
      const client = await proxiedClient()
      const store = redisStore({ client, prefix: 'resend-reserve', timeoutMs: 20_000 })
      await store.read({ now, counters })
      const result = await deliverTwice(client, () => store.reserve(reserve('r1')))
      expect(result.ok).toBe(true)
      const [state] = await redisStore({ client: admin, prefix: 'resend-reserve' }).read({ now, counters })
      expect(state!.reserved.tokens).toBe(300)
      await store.commit({ reservationId: 'r1', now, counters, usage: null })
      const [after] = await redisStore({ client: admin, prefix: 'resend-reserve' }).read({ now, counters })
      expect(after!.reserved.tokens).toBe(0)
      await closeClient(client)
    })

    it('should apply a grant once when ioredis resends it after a reconnect', async () => {
      const client = await proxiedClient()
      const store = redisStore({ client, prefix: 'resend-grant', timeoutMs: 20_000 })
      await store.read({ now, counters })
      const grant = { grantId: 'g1', now, counter: counters[0]!, amount: { tokens: 500 } }
      const result = await deliverTwice(client, () => store.grant!(grant))
      // the reply is the second delivery's: it applied nothing
      expect(result).toMatchObject({ alreadyApplied: true, counter: { granted: { tokens: 500 } } })
      const [state] = await redisStore({ client: admin, prefix: 'resend-grant' }).read({ now, counters })
      expect(state!.granted).toEqual({ tokens: 500 })
      await closeClient(client)
    })

    it('should count a settle once when ioredis resends its commit after a reconnect', async () => {
      const client = await proxiedClient()
      const store = redisStore({ client, prefix: 'resend-commit', timeoutMs: 20_000 })
      await store.reserve(reserve('r1'))
      const commit = { reservationId: 'r1', now, counters, usage: tally({ tokens: 250 }) }
      await deliverTwice(client, () => store.commit(commit))
      const [state] = await redisStore({ client: admin, prefix: 'resend-commit' }).read({ now, counters })
      expect(state!.used.tokens).toBe(250)
      expect(state!.reserved.tokens).toBe(0)
      await closeClient(client)
    })
  })
})
