export type { StoreUnavailableEvent } from '@tokenwarden/core'
export { escapeKey, redisKeys, unescapeKey } from './redis-keys.ts'
export { type RedisStoreOptions, redisStore } from './redis-store.ts'
