import type { BudgetContext } from './budget-context.ts'
import { scopeIdOf } from './scope-id-of.ts'

/**
 * The conversation a context's warnings are delivered to: its thread, else the whole context (its own
 * keys). Injective: two different conversations never get the same key, whatever their ids contain.
 */
export function conversationOf(context: BudgetContext): string {
  const thread = scopeIdOf(context, 'thread')
  // `thread:` cannot start the JSON array below
  if (thread !== undefined) return `thread:${thread}`
  const pairs: string[] = []
  for (const scope of Object.keys(context).sort()) {
    const value = context[scope]
    if (value !== undefined) pairs.push(scope, value)
  }
  return JSON.stringify(pairs)
}

/** A short random id prefix (edge-safe: Web Crypto). */
export function randomId(): string {
  const bytes = new Uint8Array(6)
  globalThis.crypto.getRandomValues(bytes)
  let id = ''
  for (const byte of bytes) id += byte.toString(36).padStart(2, '0')
  return id
}
