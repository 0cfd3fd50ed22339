import type { BudgetContext } from './budget-context.ts'

/** The conversation a context's warnings are delivered to: its thread, else the whole context. */
export function conversationOf(context: BudgetContext): string {
  if (context.thread !== undefined) return `thread\u0000${context.thread}`
  let key = ''
  for (const scope of Object.keys(context).sort()) {
    const value = context[scope]
    if (value !== undefined) key += `${scope}\u0000${value}\u0001`
  }
  return key
}

/** A short random id prefix (edge-safe: Web Crypto). */
export function randomId(): string {
  const bytes = new Uint8Array(6)
  globalThis.crypto.getRandomValues(bytes)
  let id = ''
  for (const byte of bytes) id += byte.toString(36).padStart(2, '0')
  return id
}
