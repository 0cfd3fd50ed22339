/** Characters escaped in key parts: `%` itself, Redis Cluster hash-tag braces, `:`, spaces and controls. */
const special = /[%{}:\s\p{Cc}]/gu

/**
 * The Redis key names of one budget. Every key starts with the hash tag `{prefix}`, so a budget's keys
 * share one Redis Cluster slot and one script can touch them all.
 *
 * @example
 * const keys = redisKeys('tokenwarden')
 * keys.counter('thread/none|thread|t-1|0') // '{tokenwarden}:c:thread/none|thread|t-1|0'
 * keys.reservation('r-1') // '{tokenwarden}:r:r-1'
 */
export function redisKeys(prefix: string) {
  const counterPrefix = `{${prefix}}:c:`
  const reservationPrefix = `{${prefix}}:r:`
  return {
    index: `{${prefix}}:index`,
    leases: `{${prefix}}:leases`,
    /** The lease records of the layout before 0.2 (a hash the script only sweeps). */
    records: `{${prefix}}:records`,
    /** When the store's housekeeping (lapsed leases, ended counters) is next due (epoch ms). */
    due: `{${prefix}}:due`,
    /** What reservation keys start with (alone: the key of an operation without an id). */
    reservationPrefix,
    /** The key of a reservation id: its open lease, then for the retention that it closed. */
    reservation: (id: string) => reservationPrefix + id,
    /** The key of a grant id: that it was applied, for the retention. */
    grant: (id: string) => `{${prefix}}:g:${id}`,
    counter: (key: string) => counterPrefix + escapeKey(key),
    /** The counter key a Redis key was made from; `undefined` for keys of another layout. */
    counterOf(redisKey: string): string | undefined {
      return redisKey.startsWith(counterPrefix)
        ? unescapeKey(redisKey.slice(counterPrefix.length))
        : undefined
    },
  }
}

/** The key names of a store (see {@link redisKeys}). */
export type RedisKeys = ReturnType<typeof redisKeys>

/**
 * Percent-escapes a counter key so it contains no `{`, `}`, `:`, whitespace or control characters.
 * Reversible and injective: `%` is escaped too.
 *
 * @example
 * escapeKey('{a}:b') // '%7Ba%7D%3Ab'
 */
export function escapeKey(key: string): string {
  return key.replace(special, encodeURIComponent)
}

/**
 * Reverses {@link escapeKey}.
 *
 * @example
 * unescapeKey('%7Ba%7D%3Ab') // '{a}:b'
 */
export function unescapeKey(key: string): string {
  // Every `%` in an escaped key starts an escape (UTF-8, as encodeURIComponent writes it).
  return key.includes('%') ? decodeURIComponent(key) : key
}
