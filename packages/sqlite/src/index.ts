export { type SqliteStoreOptions, sqliteStore } from './sqlite-store.ts'
export type { StoreUnavailableEvent } from './store-unavailable-event.ts'
