import type { StoreUnavailableEvent } from '@tokenwarden/core'
import {
  type BudgetStore,
  BudgetValidationError,
  type CounterState,
  emptyCounterState,
  failPolicy,
  type StoreCommitRequest,
  type StoreCommitResult,
  type StoreReserveResult,
} from '@tokenwarden/core'
import type { Cluster, Redis, RedisOptions } from 'ioredis'
import {
  decodeReserve,
  decodeStates,
  encodeCall,
  encodeCommit,
  encodeGrant,
  encodeReserve,
  type ScriptCall,
} from './budget-arguments.ts'
import { headerNumbers, type ScriptReply } from './decode-reply.ts'
import { redisKeys } from './redis-keys.ts'
import { runScript, withTimeout } from './run-script.ts'

/**
 * Options of {@link redisStore}. Give `client`, or `url` (and `redisOptions`) to let the store connect.
 *
 * @example
 * const options: RedisStoreOptions = { url: 'redis://127.0.0.1:6379', prefix: 'support-bot', timeoutMs: 1000 }
 */
export interface RedisStoreOptions {
  /** An ioredis client (`Redis` or `Cluster`) you own: reused, never closed by `dispose`. */
  client?: Redis | Cluster
  /**
   * Where to connect when no `client` is given; the store then owns the connection.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string
  /** ioredis options of the connection the store opens (reconnects, TLS, credentials). */
  redisOptions?: RedisOptions
  /**
   * Key prefix of this budget. It becomes the Redis Cluster hash tag (`{prefix}:…`), so all keys of
   * one budget live in one slot; use one prefix per budget or tenant.
   * @default 'tokenwarden'
   */
  prefix?: string
  /**
   * How long an operation waits for Redis before the store counts as unavailable, in ms. While Redis is
   * away, the client keeps reconnecting and queues commands; a queued settle still lands afterwards.
   * @default 2000
   */
  timeoutMs?: number
  /**
   * When Redis cannot be reached: `false` throws `StoreUnavailableError` (fail-closed); `true` lets
   * calls through unbudgeted (fail-open).
   * @default false
   */
  failOpen?: boolean
  /** Called on every failure, in both modes (fail-open's event). */
  onUnavailable?: (event: StoreUnavailableEvent) => void
  /**
   * Largest rounding error tolerated when comparing USD amounts.
   * @default 1e-9
   */
  epsilon?: number
  /**
   * How long the id of a closed reservation (or recorded usage) is remembered, so an operation that
   * ioredis resends after a reconnect, or a retried settle, is applied once (ms of the budget's clock).
   * Keep it above how long your client may hold a command (its reconnect and retry settings); each id
   * costs about 100 bytes of Redis memory for that long (a key Redis expires itself).
   * @default 60_000
   */
  retentionMs?: number
}

const prefixPattern = /^[^{}\s\p{Cc}]+$/u

/**
 * A budget store shared by every process that uses the same Redis: each reserve, commit and renew is
 * one atomic Lua function call (`FCALL`; a script by SHA on servers without functions), one round trip. Counters of a period expire with it, reservations
 * are leases that return when a process dies, and the store fails closed with `StoreUnavailableError`
 * while Redis is unreachable (or open, with an event).
 *
 * @example
 * import { createBudget } from '@tokenwarden/core'
 * import { redisStore } from '@tokenwarden/redis'
 *
 * const budget = createBudget({
 *   limits: [{ scope: 'user', costUsd: 5, period: 'day' }],
 *   store: redisStore({ url: process.env.REDIS_URL, prefix: 'support-bot' }),
 * })
 */
export function redisStore(options: RedisStoreOptions = {}): BudgetStore {
  if (options === null || typeof options !== 'object') {
    throw new BudgetValidationError({
      field: 'options',
      value: options,
      reason: 'expected an options object',
    })
  }
  const {
    url = 'redis://127.0.0.1:6379',
    redisOptions,
    failOpen = false,
    onUnavailable,
    epsilon = 1e-9,
    retentionMs = 60_000,
  } = options
  const prefix = options.prefix ?? 'tokenwarden'
  const timeoutMs = options.timeoutMs ?? 2000
  if (typeof prefix !== 'string' || !prefixPattern.test(prefix)) {
    throw new BudgetValidationError({
      field: 'prefix',
      value: prefix,
      reason: 'expected a non-empty string without braces, spaces or control characters',
    })
  }
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
    throw new BudgetValidationError({
      field: 'timeoutMs',
      value: timeoutMs,
      reason: 'expected a number of ms > 0',
    })
  }
  if (typeof retentionMs !== 'number' || !(retentionMs >= 0) || !Number.isFinite(retentionMs)) {
    throw new BudgetValidationError({
      field: 'retentionMs',
      value: retentionMs,
      reason: 'expected a finite number of ms ≥ 0',
    })
  }
  if (options.client === undefined && typeof url !== 'string') {
    throw new BudgetValidationError({ field: 'url', value: url, reason: 'expected a redis:// URL' })
  }
  const keys = redisKeys(prefix)
  const settings = { epsilon, retentionMs }
  const policy = failPolicy({ store: 'redis', failOpen, onUnavailable })
  // A grant that did not happen is never reported as applied, fail-open or not: it throws.
  const grantPolicy = failPolicy({ store: 'redis', failOpen: false, onUnavailable })
  const owned = options.client === undefined
  let client: Redis | Cluster | undefined = options.client
  let connecting: Promise<Redis | Cluster> | undefined
  let disposed = false

  function connect(): Promise<Redis | Cluster> {
    if (disposed) return Promise.reject(new Error('the store was disposed'))
    if (client !== undefined) return Promise.resolve(client)
    connecting ??= import('ioredis').then(({ Redis }) => {
      if (client === undefined) {
        const created = new Redis(url, { enableAutoPipelining: true, ...redisOptions })
        // Connection errors reach callers through the operations (typed, or fail-open events).
        created.on('error', () => {})
        client = created
      }
      return client
    })
    return connecting
  }

  async function call(script: ScriptCall): Promise<ScriptReply> {
    return withTimeout(runScript(await connect(), script), timeoutMs)
  }

  async function commit(request: StoreCommitRequest): Promise<StoreCommitResult> {
    // Safe to resend: the script applies a commit once per reservation id (a retry after a timeout, or
    // ioredis resending it after a reconnect, adds nothing the second time).
    const reply = await call(encodeCommit(keys, request, settings))
    const header = headerNumbers(reply)
    const counters = decodeStates(
      reply.counters,
      request.counters.map((charge) => charge.key),
      reply.grants,
    )
    if (header[1] === 1) return { counters, reservationFound: false, alreadyApplied: true }
    return { counters, reservationFound: header[0] === 1 }
  }

  return {
    name: 'redis',

    async reserve(request) {
      try {
        return decodeReserve(await call(encodeReserve(keys, request, settings)), request.counters)
      } catch (error) {
        // The reservation may still be applied once a queued command reaches Redis: queue its release
        // behind it, so it does not hold budget until its lease lapses.
        void commit({
          reservationId: request.reservationId,
          now: request.now,
          counters: request.counters,
          usage: null,
        }).catch(() => {})
        return policy.handle<StoreReserveResult>('reserve', error, () => ({
          ok: true,
          counters: request.counters.map((charge) => emptyCounterState(charge.key)),
          exceeded: undefined,
        }))
      }
    },

    async commit(request) {
      try {
        return await commit(request)
      } catch (error) {
        return policy.handle('commit', error, () => ({
          counters: request.counters.map((charge) => emptyCounterState(charge.key)),
          reservationFound: false,
        }))
      }
    },

    async renew({ reservationId, now, leaseExpiresAt }) {
      try {
        const script = encodeCall(
          keys,
          'renew',
          now,
          settings,
          [leaseExpiresAt],
          [],
          reservationId,
          [],
          [],
          false,
          leaseExpiresAt,
        )
        return headerNumbers(await call(script))[0] === 1
      } catch (error) {
        return policy.handle('renew', error, () => true)
      }
    },

    async grant(request) {
      try {
        // Safe to resend: the script applies a grant once per grant id.
        const reply = await call(encodeGrant(keys, request, settings))
        const [counter] = decodeStates(reply.counters, [request.counter.key], reply.grants)
        return { counter: counter!, alreadyApplied: headerNumbers(reply)[0] === 1 }
      } catch (error) {
        return grantPolicy.handle('grant', error, () => ({
          counter: emptyCounterState(request.counter.key),
          alreadyApplied: false,
        }))
      }
    },

    async read({ now, counters }) {
      try {
        const reply = await call(encodeCall(keys, 'read', now, settings, [], counters))
        return decodeStates(
          reply.counters,
          counters.map((charge) => charge.key),
          reply.grants,
        )
      } catch (error) {
        return policy.handle('read', error, () => counters.map((charge) => emptyCounterState(charge.key)))
      }
    },

    async list({ now }) {
      try {
        const reply = await call(encodeCall(keys, 'list', now, settings, [], []))
        const redisKeyList = reply.header.length === 0 ? [] : reply.header.toString().split('\n')
        const states = decodeStates(reply.counters, redisKeyList, reply.grants)
        const listed: CounterState[] = []
        for (const state of states) {
          const key = keys.counterOf(state.key)
          if (key !== undefined) listed.push({ ...state, key })
        }
        return listed
      } catch (error) {
        return policy.handle('list', error, () => [])
      }
    },

    async dispose() {
      disposed = true
      if (!owned) return
      const current =
        client ?? (connecting === undefined ? undefined : await connecting.catch(() => undefined))
      client = undefined
      connecting = undefined
      if (current === undefined) return
      await Promise.race([
        current.quit().catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, 1000).unref()),
      ])
      current.disconnect()
    },
  }
}
