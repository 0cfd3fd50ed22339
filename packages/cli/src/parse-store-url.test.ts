import { describe, expect, it } from 'vitest'
import { CliError } from './cli-error.ts'
import { parseStoreUrl, redactUrl } from './parse-store-url.ts'

describe('parseStoreUrl', () => {
  describe('sqlite', () => {
    it('should take the path after sqlite: (and sqlite://)', () => {
      expect(parseStoreUrl('sqlite:./budget.db')).toEqual({
        kind: 'sqlite',
        path: './budget.db',
        display: 'sqlite:./budget.db',
      })
      expect(parseStoreUrl('sqlite:///var/lib/budget.db')).toMatchObject({ path: '/var/lib/budget.db' })
    })
  })

  describe('redis', () => {
    it('should keep the URL and redact its password for display', () => {
      const location = parseStoreUrl('rediss://app:p%40ss@cache.internal:6380/2')
      expect(location).toEqual({
        kind: 'redis',
        url: 'rediss://app:p%40ss@cache.internal:6380/2',
        display: 'rediss://app:***@cache.internal:6380/2',
      })
    })
  })

  describe('errors', () => {
    it.each([
      ['mysql://db/x', 'unknown store scheme "mysql:"'],
      ['./budget.db', 'unknown store "./budget.db"'],
      ['sqlite:', 'sqlite: needs a file path'],
      ['', 'missing --store'],
      ['redis://', 'the Redis URL has no host'],
    ])('should throw a CliError with exit code 2 for %j', (value, message) => {
      let error: unknown
      try {
        parseStoreUrl(value)
      } catch (caught) {
        error = caught
      }
      expect(CliError.isInstance(error)).toBe(true)
      expect((error as CliError).exitCode).toBe(2)
      expect((error as CliError).message).toContain(message)
    })
  })
})

describe('redactUrl', () => {
  describe('credentials', () => {
    it('should hide a password, a lone token and leave URLs without credentials alone', () => {
      expect(redactUrl('redis://:hunter2@h:1')).toBe('redis://:***@h:1')
      expect(redactUrl('redis://default:hunter2@h:1/0')).toBe('redis://default:***@h:1/0')
      expect(redactUrl('redis://token-only@h:1')).toBe('redis://***@h:1')
      expect(redactUrl('redis://h:1')).toBe('redis://h:1')
    })
  })
})
