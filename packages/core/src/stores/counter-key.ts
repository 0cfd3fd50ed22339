/**
 * The parts a counter key is made of. Keys are `name|scope|scopeId|periodStart` with `%` and `|`
 * escaped, so no scope id can collide with another or inject a separator.
 *
 * @example
 * decodeCounterKey(encodeCounterKey({ name: 'thread/none', scope: 'thread', scopeId: 'a|b', periodStart: 0 }))
 */
export interface CounterKeyParts {
  name: string
  scope: string
  scopeId: string
  periodStart: number
}

const special = /[%|]/

/** Builds a counter key. */
export function encodeCounterKey({ name, scope, scopeId, periodStart }: CounterKeyParts): string {
  // join makes one flat string; a template literal would keep a tree of concatenations alive as the key
  return [escapeKeyPart(name), escapeKeyPart(scope), escapeKeyPart(scopeId), periodStart].join('|')
}

/** Splits a counter key; `undefined` when the key was not made by {@link encodeCounterKey}. */
export function decodeCounterKey(key: string): CounterKeyParts | undefined {
  const parts = key.split('|')
  if (parts.length !== 4) return undefined
  const periodStart = Number(parts[3])
  if (!Number.isFinite(periodStart)) return undefined
  return {
    name: unescapeKeyPart(parts[0]!),
    scope: unescapeKeyPart(parts[1]!),
    scopeId: unescapeKeyPart(parts[2]!),
    periodStart,
  }
}

/** Escapes one key component. */
export function escapeKeyPart(value: string): string {
  return special.test(value) ? value.replaceAll('%', '%25').replaceAll('|', '%7C') : value
}

function unescapeKeyPart(value: string): string {
  return value.includes('%') ? value.replaceAll('%7C', '|').replaceAll('%25', '%') : value
}
