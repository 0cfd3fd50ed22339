import { describe, expect, it } from 'vitest'
import { runTokenwarden } from './testing/run-tokenwarden.ts'

/** Store URLs with a secret in them; none of them reaches a server (port 1 on loopback is closed). */
const cases: [string, string][] = [
  ['redis://user:p@ss/w0rd@127.0.0.1:1', 'p@ss/w0rd'],
  ['redis://user:p@ss@127.0.0.1:1', 'p@ss'],
  ['redis://:secret-token@127.0.0.1:1', 'secret-token'],
  ['redis://token-only-s3cret@127.0.0.1:1', 'token-only-s3cret'],
  ['redis://u:pct%2Fs3cret%40x@127.0.0.1:1', 's3cret'],
  ['redis://:hunter2@[::1', 'hunter2'],
  ['hunter2-not-a-url', 'hunter2'],
  ['mysql-ish:hunter2@db', 'hunter2'],
]

describe('tokenwarden never prints a store credential', () => {
  it.each(cases)('should keep the secret of %j out of stdout and stderr', async (store, secret) => {
    const { code, stdout, stderr } = await runTokenwarden(['status', '--store', store, '--timeout', '300'])
    expect(code).not.toBe(0)
    expect(stderr).toMatch(/^tokenwarden: /)
    for (const text of [stdout, stderr]) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain(decodeURIComponent(secret))
    }
  })

  it('should say the URL could not be parsed when the password holds a raw "/"', async () => {
    const { code, stderr } = await runTokenwarden(['status', '--store', 'redis://user:p@ss/w0rd@h:6379'])
    expect(code).toBe(2)
    expect(stderr).toContain('the store URL could not be parsed')
  })
})
