import { describe, expect, it } from 'vitest'
import { CliError } from './cli-error.ts'
import { parseStoreUrl, redactUrl, redactUrlsIn } from './parse-store-url.ts'

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
      ['./budget.db', 'unknown store (the value is not printed'],
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

describe('credentials in store URLs', () => {
  function messageOf(value: string): string {
    try {
      parseStoreUrl(value)
    } catch (error) {
      return (error as Error).message
    }
    throw new Error('expected parseStoreUrl to throw')
  }

  it('should redact a password holding "@" (the last "@" ends the credentials)', () => {
    expect(parseStoreUrl('redis://user:p@ss@host:6379').display).toBe('redis://user:***@host:6379')
  })

  it('should refuse a password holding a raw "/" without printing any of it', () => {
    const message = messageOf('redis://user:p@ss/w0rd@host:6379')
    expect(message).toContain('the store URL could not be parsed')
    for (const part of ['p@ss', 'w0rd', 'ss/']) expect(message).not.toContain(part)
  })

  it('should redact a password-only URL and a percent-encoded password', () => {
    expect(parseStoreUrl('redis://:secret@host').display).toBe('redis://:***@host')
    expect(parseStoreUrl('rediss://u:p%2Fw%40rd@h:1/0').display).toBe('rediss://u:***@h:1/0')
  })

  it.each([
    'redis://:hunter2@[::1',
    'redis://u:hunter2@exa mple:1',
    'hunter2',
    'redis//u:hunter2@host',
    'u:hunter2@host:6379',
  ])('should never echo a value that does not parse (%j)', (value) => {
    expect(messageOf(value)).not.toContain('hunter2')
  })

  it('should say why an invalid Redis URL failed, without the URL', () => {
    expect(messageOf('redis://:hunter2@[::1')).toMatch(/could not be parsed \(Invalid URL/)
  })
})

describe('redactUrlsIn', () => {
  it('should hide everything up to the last "@" of each URL in a text', () => {
    expect(redactUrlsIn('failed: redis://u:p@ss/w0rd@h:1 and rediss://:x@y')).toBe(
      'failed: redis://***@h:1 and rediss://***@y',
    )
  })
})
