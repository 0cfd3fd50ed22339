import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBudget } from '@tokenwarden/core'
import { sqliteStore } from '@tokenwarden/sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectedStatusRows, expectedTop, statusRows } from './testing/expected-output.ts'
import { populateBudget, testLimits } from './testing/populate-budget.ts'
import { runTokenwarden } from './testing/run-tokenwarden.ts'

let directory: string
let database: string
let config: string

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'tokenwarden-cli-'))
  database = join(directory, 'budget.db')
  config = join(directory, 'budget.config.json')
  writeFileSync(config, JSON.stringify({ limits: testLimits }))
  await populateBudget(sqliteStore({ path: database }))
})

afterAll(() => rmSync(directory, { recursive: true, force: true }))

describe('tokenwarden (SQLite store)', () => {
  describe('status', () => {
    it('should print a table with a progress bar per limit, grouped by scope', async () => {
      const { code, stdout, stderr } = await runTokenwarden([
        'status',
        '--store',
        `sqlite:${database}`,
        '--config',
        config,
      ])
      expect(stderr).toBe('')
      expect(code).toBe(0)
      expect(stdout.split('\n')[0]).toBe(`store: sqlite:${database}`)
      expect(statusRows(stdout)).toEqual(expectedStatusRows)
    })

    it('should list the raw counters and say why there are no bars without --config', async () => {
      const { code, stdout } = await runTokenwarden(['status', '--store', `sqlite:${database}`])
      expect(code).toBe(0)
      const lines = stdout.trimEnd().split('\n')
      expect(lines[1]).toMatch(/^LIMIT\s+SCOPE\s+ID\s+PERIOD START\s+TOKENS\s+COST\s+REQUESTS$/)
      expect(lines.filter((line) => line.startsWith('thread/none'))).toEqual([
        'thread/none               thread  t-1         all time                   2,800  $0.0123         2',
        'thread/none               thread  t-2         all time                   2,600  $0.0007         1',
        'thread/none               thread  t-3         all time                     400  $0.0018         1',
      ])
      expect(lines.find((line) => line.startsWith('global/month'))).toMatch(/^global\/month\s+global\s+—\s/)
      expect(stdout).not.toContain('@history')
      expect(lines.at(-1)).toBe(
        'note: the store keeps usage, not caps: pass --config with the limits to see bars',
      )
    })

    it('should read the store from TOKENWARDEN_STORE when --store is not given', async () => {
      const { code, stdout } = await runTokenwarden(['status', '--config', config], {
        env: { TOKENWARDEN_STORE: `sqlite:${database}` },
      })
      expect(code).toBe(0)
      expect(statusRows(stdout)).toEqual(expectedStatusRows)
    })
  })

  describe('reads', () => {
    it('should delete nothing: a counter of an ended period survives repeated status reads', async () => {
      const old = join(directory, 'ended.db')
      const yesterday = Date.now() - 86_400_000
      const budget = createBudget({
        limits: [{ scope: 'agent', tokens: 1000, period: 'day' }],
        store: sqliteStore({ path: old }),
        now: () => yesterday,
      })
      await budget.record({ agent: 'a' }, { inputTokens: 120, outputTokens: 30 })
      await budget.dispose()
      for (let read = 0; read < 2; read++) {
        const { code, stdout } = await runTokenwarden(['status', '--store', `sqlite:${old}`])
        expect(code).toBe(0)
        expect(stdout).toMatch(/^agent\/day\s+agent\s+a\s+\S+\s+150\s/m)
      }
    })
  })

  describe('top', () => {
    it('should rank by --sort cost or requests, with the bar of that measure', async () => {
      const { code, stdout } = await runTokenwarden([
        'top',
        '--store',
        `sqlite:${database}`,
        '--by',
        'agent',
        '--sort',
        'cost',
      ])
      expect(code).toBe(0)
      expect(stdout).toBe(
        [
          'AGENT       TOKENS  INPUT  OUTPUT     COST  REQUESTS  SHARE OF COST',
          'researcher   2,800  2,100     700  $0.0123         2  [█████████████████░░░]  84%',
          'planner        400    300     100  $0.0018         1  [██░░░░░░░░░░░░░░░░░░]  12%',
          'writer       2,600  2,000     600  $0.0007         1  [█░░░░░░░░░░░░░░░░░░░]   5%',
          '',
        ].join('\n'),
      )
      const byRequests = await runTokenwarden(['top', '--store', `sqlite:${database}`, '--sort', 'requests'])
      expect(byRequests.stdout.split('\n').slice(0, 2)).toEqual([
        'AGENT       TOKENS  INPUT  OUTPUT     COST  REQUESTS  SHARE OF REQUESTS',
        'researcher   2,800  2,100     700  $0.0123         2  [██████████░░░░░░░░░░]  50%',
      ])
      const bad = await runTokenwarden(['top', '--store', `sqlite:${database}`, '--sort', 'name'])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('invalid --sort "name": expected tokens, cost, requests')
    })

    it('should print the top spenders by agent, user and model', async () => {
      const { code, stdout } = await runTokenwarden(['top', '--store', `sqlite:${database}`])
      expect(code).toBe(0)
      expect(stdout).toBe(expectedTop)
    })

    it('should print one scope with --by and cut the list with --limit', async () => {
      const { code, stdout } = await runTokenwarden([
        'top',
        '--store',
        `sqlite:${database}`,
        '--by',
        'agent',
        '--limit',
        '2',
      ])
      expect(code).toBe(0)
      expect(stdout).toBe(`${expectedTop.split('\n').slice(0, 3).join('\n')}\n`)
    })
  })

  describe('report --json', () => {
    it('should print the limits, top spenders and totals of budget.report()', async () => {
      const { code, stdout } = await runTokenwarden([
        'report',
        '--json',
        '--store',
        `sqlite:${database}`,
        '--config',
        config,
      ])
      expect(code).toBe(0)
      const report = JSON.parse(stdout)
      expect(report.store).toBe(`sqlite:${database}`)
      expect(report.totals).toMatchObject({
        tokens: 5800,
        inputTokens: 4400,
        outputTokens: 1400,
        requests: 4,
      })
      expect(report.totals.costUsd).toBeCloseTo(0.01466, 10)
      expect(report.top.agent.map((s: { id: string }) => s.id)).toEqual(['researcher', 'writer', 'planner'])
      expect(report.top.agent[0].usage.costUsd).toBeCloseTo(0.01225, 10)
      const thread = report.limits.find((l: { scopeId: string }) => l.scopeId === 't-2')
      expect(thread).toMatchObject({
        limitName: 'thread/none',
        limit: 3000,
        used: 2600,
        reserved: 300,
        remaining: 100,
      })
      expect(report.limits).toHaveLength(9)
      const kinds = report.burnDowns.map((b: { scopeId: string; kind: string }) => `${b.scopeId}:${b.kind}`)
      expect(kinds.sort()).toEqual(
        ['global:calendar', 'u-1:rolling', 'u-2:rolling', 'researcher:calendar', 'writer:calendar']
          .concat(['planner:calendar', 't-1:all-time', 't-2:all-time', 't-3:all-time'])
          .sort(),
      )
      const user = report.burnDowns.find((b: { scopeId: string }) => b.scopeId === 'u-1')
      expect(user.points.at(-1).used).toBe(3200)
    })
  })

  describe('grant', () => {
    it('should raise a thread in the store, once per --grant-id, and show it in status', async () => {
      const file = join(directory, 'grant.db')
      await populateBudget(sqliteStore({ path: file }))
      const store = `sqlite:${file}`
      const args = ['grant', 'thread', 't-1', '--store', store, '--config', config, '--tokens', '2000']
      const first = await runTokenwarden([...args, '--grant-id', 'ticket-9'])
      expect(first.stderr).toBe('')
      expect(first.code).toBe(0)
      expect(first.stdout).toContain('2,800 / 5,000 tokens (2,000 granted)')
      const again = await runTokenwarden([...args, '--grant-id', 'ticket-9'])
      expect(again.stdout).toContain('grant ticket-9 was already applied: nothing added')
      const status = await runTokenwarden(['status', '--store', store, '--config', config])
      expect(status.stdout).toMatch(/thread {2}t-1 .*2,800 \/ 5,000 tokens \(2,000 granted\)/)
      expect(status.stdout).toMatch(/thread {2}t-2 .*2,600 \/ 3,000 tokens/)
      const bad = await runTokenwarden(['grant', 'thread', 't-1', '--store', store, '--config', config])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toMatch(/cannot grant: give at least one of tokens/)
    })
  })

  describe('errors', () => {
    it.each([
      [['status', '--store', 'mysql://db:3306/x'], /unknown store scheme "mysql:"/],
      [['status', '--store', 'sqlite:/nowhere/budget.db'], /no such SQLite file: \/nowhere\/budget\.db/],
      [['status'], /missing --store/],
      [['frobnicate', '--store', 'sqlite:x'], /unknown command "frobnicate"/],
      [['top', '--store', 'sqlite:x', '--limit', '0'], /invalid --limit "0"/],
      [['status', '--store', 'sqlite:x', '--by', 'agent'], /--by is an option of "top", not "status"/],
      [['report', '--store', 'sqlite:x', '--jsn'], /Unknown option '--jsn'/],
    ])('should exit with code 2 and a clear message for %j', async (args, message) => {
      const { code, stdout, stderr } = await runTokenwarden(args)
      expect(code).toBe(2)
      expect(stdout).toBe('')
      expect(stderr).toMatch(message)
      expect(stderr).toMatch(/^tokenwarden: /)
    })

    it('should exit with code 2 naming the field of an invalid limit in the config', async () => {
      const bad = join(directory, 'bad.config.json')
      writeFileSync(bad, JSON.stringify({ limits: [{ scope: 'thread', tokens: -5 }] }))
      const { code, stderr } = await runTokenwarden([
        'status',
        '--store',
        `sqlite:${database}`,
        '--config',
        bad,
      ])
      expect(code).toBe(2)
      expect(stderr).toContain(`config ${bad}: invalid limits[0].tokens`)
    })

    it('should read custom scopes from the config, and name a limit on an undeclared one', async () => {
      const custom = join(directory, 'custom.config.json')
      const limits = [...testLimits, { scope: 'tenant', tokens: 1000 }]
      writeFileSync(custom, JSON.stringify({ scopes: ['tenant'], limits }))
      const store = `sqlite:${database}`
      const declared = await runTokenwarden(['status', '--store', store, '--config', custom])
      expect(declared.stderr).toBe('')
      expect(declared.code).toBe(0)
      writeFileSync(custom, JSON.stringify({ limits }))
      const undeclared = await runTokenwarden(['status', '--store', store, '--config', custom])
      expect(undeclared.code).toBe(2)
      expect(undeclared.stderr).toContain(`config ${custom}: invalid limits[${testLimits.length}].scope`)
    })

    it('should exit with code 2 for a missing config file and a file that holds no budget', async () => {
      const missing = await runTokenwarden([
        'status',
        '--store',
        `sqlite:${database}`,
        '--config',
        '/nowhere.json',
      ])
      expect(missing.code).toBe(2)
      expect(missing.stderr).toContain('no such config file: /nowhere.json')
      const other = await runTokenwarden(['status', '--store', `sqlite:${database}`, '--prefix', 'other'])
      expect(other.code).toBe(2)
      expect(other.stderr).toContain('holds no tokenwarden budget (no table other_counters')
    })

    it('should print the help of a command and exit 0', async () => {
      const { code, stdout } = await runTokenwarden(['report', '--help'])
      expect(code).toBe(0)
      expect(stdout).toMatch(/^Usage: tokenwarden report --store URL/)
      expect(stdout).toContain('--html FILE')
    })
  })
})
