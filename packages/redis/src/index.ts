export { escapeKey, redisKeys, unescapeKey } from './redis-keys.ts'
export { type RedisStoreOptions, redisStore } from './redis-store.ts'
export type { StoreUnavailableEvent } from './store-unavailable-event.ts'
