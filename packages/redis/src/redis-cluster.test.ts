import { testBudgetStore } from '@tokenwarden/core/test'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from './redis-store.ts'
import { type RedisServer, startRedisServer } from './testing/redis-server.ts'

let server: RedisServer
let cluster: Cluster
let storeCount = 0

beforeAll(async () => {
  server = await startRedisServer({ cluster: true })
  cluster = new Cluster([{ host: '127.0.0.1', port: server.port }])
})

afterAll(async () => {
  await cluster?.quit()
  await server?.close()
})

// On Redis Cluster every key a script touches must hash to one slot: the `{prefix}` hash tag does it.
testBudgetStore({
  grants: false, // until the store implements BudgetStore.grant (branch redis-grant)
  name: 'redis cluster',
  createStore: () => redisStore({ client: cluster, prefix: `cluster-${storeCount++}` }),
  additionalTests() {
    describe('redisStore on a cluster', () => {
      describe('keys', () => {
        it('should keep every key of a budget in the slot of its hash tag', async () => {
          const store = redisStore({ client: cluster, prefix: 'slot-check' })
          await store.commit({
            reservationId: null,
            now: Date.UTC(2026, 0, 1),
            counters: [
              { key: 'a|thread|x|0', caps: null, expiresAt: null },
              { key: 'b|agent|y|0', caps: null, expiresAt: null },
            ],
            usage: {
              tokens: 1,
              inputTokens: 1,
              outputTokens: 0,
              cachedInputTokens: 0,
              reasoningTokens: 0,
              costUsd: 0,
              requests: 1,
              estimatedRequests: 0,
              unpricedRequests: 0,
            },
          })
          const keys = await cluster.keys('{slot-check}*')
          const slots = await Promise.all(keys.map((key) => cluster.call('CLUSTER', 'KEYSLOT', key)))
          expect(keys.length).toBeGreaterThanOrEqual(3)
          expect(new Set(slots).size).toBe(1)
        })
      })
    })
  },
})
