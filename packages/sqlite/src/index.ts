export type { StoreUnavailableEvent } from '@tokenwarden/core'
export { type SqliteStoreOptions, sqliteStore } from './sqlite-store.ts'
