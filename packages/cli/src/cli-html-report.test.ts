import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { sqliteStore } from '@tokenwarden/sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { populateBudget, testLimits } from './testing/populate-budget.ts'
import { runChromium } from './testing/run-chromium.ts'
import { runTokenwarden } from './testing/run-tokenwarden.ts'

/** Where a person can look at the page and its screenshot after the tests (gitignored). */
const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url))
const page = join(artifacts, 'report.html')
const screenshot = join(artifacts, 'report.png')

let directory: string
let database: string
let config: string
let dom: string

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true })
  rmSync(screenshot, { force: true })
  directory = mkdtempSync(join(tmpdir(), 'tokenwarden-cli-html-'))
  database = join(directory, 'budget.db')
  config = join(directory, 'budget.config.json')
  writeFileSync(config, JSON.stringify({ limits: testLimits }))
  await populateBudget(sqliteStore({ path: database }))
  const { code, stderr } = await runTokenwarden([
    'report',
    '--html',
    page,
    '--store',
    `sqlite:${database}`,
    '--config',
    config,
  ])
  expect(code).toBe(0)
  expect(stderr).toBe(`wrote ${page} (9 limits, 6 burn-down charts)\n`)
  dom = await runChromium(['--dump-dom', pathToFileURL(page).href])
}, 90_000)

afterAll(() => rmSync(directory, { recursive: true, force: true }))

function count(pattern: RegExp): number {
  return dom.match(pattern)?.length ?? 0
}

describe('tokenwarden report --html', () => {
  describe('the file', () => {
    it('should be self-contained: no external script, style, image or font', () => {
      const html = readFileSync(page, 'utf8')
      expect(html).not.toMatch(/\s(src|href)=/i)
      expect(html).not.toMatch(/@import|url\(/i)
      expect(html).toContain("default-src 'none'")
    })
  })

  describe('in headless Chromium', () => {
    it('should run its script and draw one bar per limit, grouped by scope', () => {
      expect(dom).toContain('data-rendered="true"')
      expect(count(/class="limit-row"/g)).toBe(9)
      const scopes = [...dom.matchAll(/class="scope" data-scope="([^"]+)"/g)].map((match) => match[1])
      expect(scopes).toEqual(['global', 'user', 'agent', 'thread'])
      const t1 =
        /data-limit="thread\/none" data-id="t-1"[^>]*>.*?<div class="bar-fill ([a-z]+)" style="width:([\d.]+)%"/s.exec(
          dom,
        )
      expect(t1?.[1]).toBe('crit')
      expect(Number(t1?.[2])).toBeCloseTo(93.33, 2)
      const planner =
        /data-limit="agent\/day" data-id="planner"[^>]*>.*?<div class="bar-fill ([a-z]+)" style="width:([\d.]+)%"/s.exec(
          dom,
        )
      expect(planner?.slice(1)).toEqual(['ok', '4.00'])
    })

    it('should draw a burn-down chart per limit with a period', () => {
      expect(count(/<svg class="burndown"/g)).toBe(6)
      expect(count(/<polyline class="remaining" points="[\d.,\s-]+"/g)).toBe(6)
      // Calendar periods project the rate so far to the period's end; rolling windows do not.
      expect(count(/<polyline class="projection/g)).toBe(4)
      const charts = [...dom.matchAll(/<svg class="burndown"[^>]*data-limit="([^"]+)" data-id="([^"]+)"/g)]
      expect(charts.map((match) => `${match[1]} ${match[2]}`).sort()).toEqual([
        'agent/day planner',
        'agent/day researcher',
        'agent/day writer',
        'global/month global',
        'user/rolling:86400000:24 u-1',
        'user/rolling:86400000:24 u-2',
      ])
    })

    it('should list the top spenders by agent, user and model', () => {
      const tables = [...dom.matchAll(/<table class="top" data-scope="([^"]+)"/g)].map((match) => match[1])
      expect(tables).toEqual(['agent', 'user', 'model'])
      // Amounts follow the core's formatAmount, as in the terminal ($0.0123, not $0.01).
      expect(dom).toMatch(
        /<tr data-id="researcher"><td>researcher<\/td><td>2,800<\/td><td>\$0\.0123<\/td><td>2<\/td>/,
      )
      // Ranked by tokens, the measure of the share column.
      const agents = [...dom.matchAll(/<table class="top" data-scope="agent">.*?<\/table>/gs)][0]![0]
      expect([...agents.matchAll(/<tr data-id="([^"]+)"/g)].map((match) => match[1])).toEqual([
        'researcher',
        'writer',
        'planner',
      ])
    })

    it('should name periods and scopes in plain words', () => {
      const text = dom.replace(/<script[^>]*>.*?<\/script>/gs, '').replace(/<[^>]+>/g, ' ')
      expect(text).toContain('all time')
      expect(text).not.toMatch(/global\s+global/)
      expect(text).not.toContain('bucket(s)')
      expect(text).not.toContain('limit counters')
      expect(text).toContain("usage in 1 of the window's 24 steps of 1h")
      expect(text).toContain('$0.0147')
    })

    it('should draw calendar burn-downs from the recorded hourly history', () => {
      const researcher =
        /<svg class="burndown"[^>]*data-limit="agent\/day" data-id="researcher".*?<polyline class="remaining" points="([^"]+)"/s.exec(
          dom,
        )
      // Period start, the start and end of the hour with usage (a straight line from the period start
      // would have two points). In the day's first hour the period start is the start of that hour.
      const hour = 3_600_000
      const firstHourOfDay =
        Math.floor(Date.now() / hour) * hour === Math.floor(Date.now() / 86_400_000) * 86_400_000
      const points = researcher![1]!.trim().split(/\s+/)
      expect(points.length).toBeGreaterThanOrEqual(firstHourOfDay ? 2 : 3)
      // the remaining line falls: its last point is lower on the chart (a larger y) than its first
      const y = (point: string) => Number(point.split(',')[1])
      expect(y(points.at(-1)!)).toBeGreaterThan(y(points[0]!))
      const text = dom.replace(/<script[^>]*>.*?<\/script>/gs, '')
      expect(text).not.toContain('no usage history recorded')
    })

    it('should write a screenshot a person can look at', async () => {
      await runChromium([`--screenshot=${screenshot}`, '--window-size=1200,900', pathToFileURL(page).href])
      const png = readFileSync(screenshot)
      expect(png.subarray(1, 4).toString()).toBe('PNG')
      expect(png.readUInt32BE(16)).toBe(1200)
      expect(png.readUInt32BE(20)).toBe(900)
      expect(statSync(screenshot).size).toBeGreaterThan(20_000)
      // The whole page (charts and top spenders are below the first 900 pixels).
      const full = join(artifacts, 'report-full.png')
      await runChromium([`--screenshot=${full}`, '--window-size=1200,2000', pathToFileURL(page).href])
      expect(statSync(full).size).toBeGreaterThan(statSync(screenshot).size)
    }, 60_000)
  })
})
