import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const script = fileURLToPath(new URL('./index.ts', import.meta.url))
const cli = fileURLToPath(new URL('../../packages/cli/dist/cli.js', import.meta.url))
const directory = mkdtempSync(join(tmpdir(), 'tokenwarden-walkthrough-'))
const database = join(directory, 'budget.db')
const config = join(directory, 'budget.config.json')

afterAll(() => rmSync(directory, { recursive: true, force: true }))

const tokenwarden = (...args: string[]) => run(process.execPath, [cli, ...args])

describe('CLI walkthrough example', () => {
  it('should leave a SQLite store and its limits that the CLI reads', async () => {
    const { stdout } = await run(process.execPath, [script, directory])
    expect(stdout).toMatch(
      new RegExp(`^wrote ${database}: 60 requests \\(\\d+ refused\\), [\\d,]+ tokens, \\$0\\.\\d{2,4}\\n`),
    )
    expect(existsSync(database)).toBe(true)
    expect(JSON.parse(readFileSync(config, 'utf8')).limits).toHaveLength(4)

    const status = await tokenwarden('status', '--store', `sqlite:${database}`, '--config', config)
    expect(status.stdout).toMatch(/^global\s+—\s+day\s+\$0\.\d{4} \/ \$1\.00/m)
    expect(status.stdout).toMatch(/^agent\s+researcher\s+day\s+[\d,]+ \/ 60,000 tokens/m)
    expect(status.stdout).toMatch(/^thread\s+t-1\s+all time\s+/m)

    const top = await tokenwarden('top', '--store', `sqlite:${database}`, '--by', 'agent', '--sort', 'cost')
    expect(top.stdout.split('\n')[1]).toMatch(/^researcher\s/)

    const report = await tokenwarden('report', '--json', '--store', `sqlite:${database}`, '--config', config)
    const { burnDowns } = JSON.parse(report.stdout)
    const researcher = burnDowns.find((chart: { scopeId: string }) => chart.scopeId === 'researcher')
    // Drawn from the recorded hourly history, not a straight line from midnight.
    expect(researcher).toMatchObject({ kind: 'calendar', fromHistory: true })
    // Calls are spread over today's last 8 hours: from 3 hours past midnight they span several buckets.
    if (Date.now() % 86_400_000 > 3 * 3_600_000) expect(researcher.points.length).toBeGreaterThan(3)
  }, 60_000)
})
