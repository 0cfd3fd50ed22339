import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createBudget } from '@tokenwarden/core'
import { redisStore } from '@tokenwarden/redis'
import { startRedisServer } from '@tokenwarden/redis/testing'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, describe, expect, it } from 'vitest'
import type { ScenarioResult } from './scenario.ts'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const temporary = mkdtempSync(join(tmpdir(), 'tokenwarden-runtimes-'))
afterAll(() => rmSync(temporary, { recursive: true, force: true }))

// Bun and Deno come as optional dependencies built for linux-x64 only (`pnpm install` brings them there);
// elsewhere their tests are skipped, on linux-x64 a missing binary fails.
const linuxX64 = process.platform === 'linux' && process.arch === 'x64'
const bun = linuxX64 ? binaryOf('@oven/bun-linux-x64', 'bin/bun') : undefined
const deno = linuxX64 ? binaryOf('@deno/linux-x64-glibc', 'deno') : undefined

/** The same numbers on every runtime and store: the scenario is deterministic. */
function expectScenario(result: ScenarioResult, runtime: RegExp | string): void {
  expect(result.runtime).toMatch(runtime)
  expect(result.core).toEqual({
    held: { state: 'open', reserved: 800 },
    // 200 uncached input × $2.5 + 100 cached × $1.25 + 480 output × $10, per million tokens.
    settled: { state: 'settled', costUsd: expect.closeTo(0.005425, 12), tokens: 780, cached: 100 },
    warnings: [0.75],
    refusal: { isInstance: true, remaining: 220, requested: 800 },
    clampedTo: 120,
    invalidField: 'limits[0].tokens',
    status: { used: 780, reserved: 0, text: expect.stringContaining('780/1,000 tokens') },
  })
  expect(result.aiSdk).toEqual({
    generated: { text: 'generated', totalTokens: 400 },
    streamed: { text: 'streamed', totalTokens: 250 },
    refusal: { isInstance: true, scope: 'thread', modelCalls: 1 }, // the refused call never reached the model
    status: { used: 650, reserved: 0 },
  })
}

describe('the core and the AI SDK middleware on other runtimes', () => {
  describe.skipIf(bun === undefined)('Bun', () => {
    it('should run the scenario from the packages in node_modules', () => {
      expectScenario(run(bun!, ['main.ts']), /^bun \d/)
    })

    it('should run it on the Redis store against a real redis-server', async () => {
      const server = await startRedisServer()
      try {
        const prefix = 'bun-e2e'
        expectScenario(run(bun!, ['redis-main.ts', server.url, prefix]), /^bun \d/)
        // What Bun recorded is in Redis: another process (this one, on Node) reads the same counters.
        const budget = createBudget({
          store: redisStore({ url: server.url, prefix }),
          limits: [{ scope: 'thread', tokens: 1000 }],
        })
        const [core] = await budget.status({ thread: `${prefix}-core`, agent: 'runtime' })
        const [aiSdk] = await budget.status({ thread: `${prefix}-ai`, agent: 'writer' })
        await budget.dispose()
        expect([core?.used, core?.reserved, aiSdk?.used, aiSdk?.reserved]).toEqual([780, 0, 650, 0])
      } finally {
        await server.close()
      }
    })
  })

  describe.skipIf(deno === undefined)('Deno', () => {
    it('should run the scenario from the packages in node_modules', () => {
      // `ai`'s gateway reads the host name at import (its user agent); the core needs no permission.
      expectScenario(run(deno!, ['run', '--no-prompt', '--allow-sys=hostname', 'main.ts']), /^deno \d/)
    })
  })

  describe('Cloudflare workerd (miniflare)', () => {
    it('should run the scenario bundled as a Worker', async () => {
      const script = await bundle('worker.ts', {
        format: 'esm',
        conditions: ['workerd', 'worker', 'browser'],
      })
      const worker = new Miniflare({ modules: true, script, compatibilityDate: '2026-01-01' })
      try {
        const response = await worker.dispatchFetch('http://localhost/')
        expect(response.status).toBe(200)
        expectScenario((await response.json()) as ScenarioResult, 'workerd')
      } finally {
        await worker.dispose()
      }
    })
  })

  describe("Vercel's edge-runtime", () => {
    it('should run the scenario bundled, and leave nothing running once it is done', async () => {
      const path = join(temporary, 'edge-runtime-scenario.js')
      const code = await bundle('scenario.ts', {
        format: 'iife',
        globalName: 'tokenwardenScenario',
        conditions: ['edge-light', 'worker', 'browser'],
      })
      writeFileSync(path, code)
      expectScenario(run(process.execPath, ['edge-runtime-main.ts', path]), 'edge-runtime')
    })
  })
})

/** Runs a runtime in this folder and parses what it printed; it must exit by itself, successfully. */
function run(command: string, args: string[]): ScenarioResult {
  const child = spawnSync(command, args, {
    cwd: here,
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
  })
  if (child.status !== 0) {
    const how =
      child.signal === null ? `exit code ${child.status}` : `${child.signal} (did not exit within 20 s)`
    throw new Error(`${command} ${args.join(' ')} failed: ${how}\n${child.stderr}`)
  }
  return JSON.parse(child.stdout) as ScenarioResult
}

/** One file with every dependency inside, as workerd and edge-runtime take it. */
async function bundle(
  entry: string,
  options: { format: 'esm' | 'iife'; conditions: string[]; globalName?: string },
): Promise<string> {
  const result = await build({
    entryPoints: [join(here, entry)],
    bundle: true,
    write: false,
    platform: 'browser',
    target: 'es2023',
    logLevel: 'silent',
    ...options,
  })
  return result.outputFiles[0]!.text
}

function binaryOf(name: string, path: string): string {
  return join(dirname(require.resolve(`${name}/package.json`)), path)
}
