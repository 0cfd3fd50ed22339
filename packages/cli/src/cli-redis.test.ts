import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisStore } from '@tokenwarden/redis'
import { type RedisServer, startRedisServer } from '@tokenwarden/redis/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectedStatusRows, expectedTop, statusRows } from './testing/expected-output.ts'
import { populateBudget, testLimits } from './testing/populate-budget.ts'
import { runTokenwarden } from './testing/run-tokenwarden.ts'

const password = 'cli-test-s3cret'
let server: RedisServer
let directory: string
let config: string
let url: string

beforeAll(async () => {
  server = await startRedisServer({ password })
  url = `redis://default:${password}@127.0.0.1:${server.port}`
  directory = mkdtempSync(join(tmpdir(), 'tokenwarden-cli-redis-'))
  config = join(directory, 'budget.config.json')
  writeFileSync(config, JSON.stringify({ limits: testLimits }))
  await populateBudget(redisStore({ url, prefix: 'cli-test' }))
})

afterAll(async () => {
  await server?.close()
  rmSync(directory, { recursive: true, force: true })
})

/** Output must never carry the password, whatever the command printed. */
function expectNoSecret(...texts: string[]): void {
  for (const text of texts) expect(text).not.toContain(password)
}

describe('tokenwarden (Redis store)', () => {
  describe('status', () => {
    it('should print the same table as for SQLite, with the password redacted', async () => {
      const { code, stdout, stderr } = await runTokenwarden([
        'status',
        '--store',
        url,
        '--prefix',
        'cli-test',
        '--config',
        config,
      ])
      expect(stderr).toBe('')
      expect(code).toBe(0)
      expect(stdout.split('\n')[0]).toBe(`store: redis://default:***@127.0.0.1:${server.port}`)
      expect(statusRows(stdout)).toEqual(expectedStatusRows)
      expectNoSecret(stdout, stderr)
    })

    it('should show nothing under another prefix', async () => {
      const { code, stdout } = await runTokenwarden([
        'status',
        '--store',
        url,
        '--prefix',
        'empty',
        '--config',
        config,
      ])
      expect(code).toBe(0)
      expect(stdout).toContain('no limit has usage in its current period')
    })
  })

  describe('top', () => {
    it('should print the top spenders by agent, user and model', async () => {
      const { code, stdout, stderr } = await runTokenwarden(['top', '--store', url, '--prefix', 'cli-test'])
      expect(code).toBe(0)
      expect(stdout).toBe(expectedTop)
      expectNoSecret(stdout, stderr)
    })
  })

  describe('report --json', () => {
    it('should report the same totals and limits as the store holds', async () => {
      const { code, stdout } = await runTokenwarden([
        'report',
        '--json',
        '--store',
        url,
        '--prefix',
        'cli-test',
        '--config',
        config,
      ])
      expect(code).toBe(0)
      const report = JSON.parse(stdout)
      expect(report.store).toBe(`redis://default:***@127.0.0.1:${server.port}`)
      expect(report.totals).toMatchObject({ tokens: 5800, requests: 4 })
      expect(report.limits).toHaveLength(9)
      expectNoSecret(stdout)
    })
  })

  describe('errors', () => {
    it('should exit with code 1 without printing the password when authentication fails', async () => {
      const wrong = `redis://default:wrong-${password}@127.0.0.1:${server.port}`
      const { code, stdout, stderr } = await runTokenwarden(['top', '--store', wrong, '--timeout', '2000'])
      expect(code).toBe(1)
      expect(stdout).toBe('')
      expect(stderr).toMatch(
        new RegExp(`^tokenwarden: cannot read redis://default:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}`),
      )
      expectNoSecret(stderr)
    })

    it('should exit with code 1 when nothing listens at the URL', async () => {
      const { code, stderr } = await runTokenwarden([
        'top',
        '--store',
        'redis://127.0.0.1:1',
        '--timeout',
        '1000',
      ])
      expect(code).toBe(1)
      expect(stderr).toMatch(/^tokenwarden: cannot read redis:\/\/127\.0\.0\.1:1/)
    })
  })
})
