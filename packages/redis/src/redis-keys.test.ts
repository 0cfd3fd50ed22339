import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { escapeKey, redisKeys, unescapeKey } from './redis-keys.ts'

describe('redisKeys', () => {
  describe('escapeKey', () => {
    it('should round-trip any string and leave no brace, colon, space or control character', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), (key) => {
          const escaped = escapeKey(key)
          expect(escaped).not.toMatch(/[{}:\s\p{Cc}]/u)
          expect(unescapeKey(escaped)).toBe(key)
        }),
      )
    })

    it('should never map two keys to one', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
          fc.pre(a !== b)
          expect(escapeKey(a)).not.toBe(escapeKey(b))
        }),
      )
    })
  })

  describe('counterOf', () => {
    it('should give back the counter key of a Redis key and ignore other keys', () => {
      const keys = redisKeys('p')
      expect(keys.counterOf(keys.counter('a|{b}:c|0'))).toBe('a|{b}:c|0')
      expect(keys.counterOf(keys.index)).toBeUndefined()
    })
  })
})
