import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const runner = fileURLToPath(new URL('./support/run-in-edge-context.ts', import.meta.url))

type EdgeRun =
  | { ok: true; result: any; modules: string[] }
  | { ok: false; error: { name: string; message: string } }

/**
 * Runs an ES module in a `node:vm` context with only web-standard globals (see run-in-edge-context.ts).
 * `vm.SourceTextModule` needs `--experimental-vm-modules`, so it runs in a child process with that flag.
 */
function runInEdgeContext(source: string): EdgeRun {
  const child = spawnSync(process.execPath, ['--experimental-vm-modules', '--no-warnings', runner], {
    input: source,
    encoding: 'utf8',
    timeout: 20_000,
  })
  if (child.status !== 0) throw new Error(`the edge runner failed (${child.status}): ${child.stderr}`)
  return JSON.parse(child.stdout) as EdgeRun
}

const lifecycle = /* js */ `
import { BudgetExceededError, BudgetValidationError, createBudget, formatStatus } from '@tokenwarden/core'

const budget = createBudget({
  limits: [{ scope: 'thread', tokens: 1000 }],
  prices: { models: { 'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10, cachedInputPerMillion: 1.25 } } },
})
const context = { thread: 't-1', agent: 'edge' }
const events = []
budget.on('settled', ({ usage }) => events.push(['settled', usage.tokens]))

const reservation = await budget.reserve(context, { model: 'gpt-4o', inputTokens: 300, maxOutputTokens: 500 })
const [held] = await budget.status(context)
const heldState = reservation.state
const settled = await reservation.settle({
  inputTokens: 300,
  outputTokens: 480,
  cachedInputTokens: 100,
  reasoningTokens: 20,
})
const warnings = budget.takeWarnings(context).map((warning) => warning.threshold)

let refusal
try {
  await budget.reserve(context, { model: 'gpt-4o', inputTokens: 300, maxOutputTokens: 500 })
} catch (error) {
  refusal = { isInstance: BudgetExceededError.isInstance(error), remaining: error.remaining, requested: error.requested }
}
const clamped = await budget.reserve(context, { model: 'gpt-4o', inputTokens: 100, maxOutputTokens: 500, clamp: true })
const clampedTo = clamped.maxOutputTokens
await clamped.release()

let invalid
try {
  createBudget({ limits: [{ scope: 'thread', tokens: -1 }] })
} catch (error) {
  invalid = { isInstance: BudgetValidationError.isInstance(error), field: error.field }
}

const [status] = await budget.status(context)
const { totals } = await budget.report()
await budget.dispose()

export const result = {
  globals: [typeof process, typeof require, typeof Buffer, typeof global, typeof setImmediate],
  held: { state: heldState, reserved: held.reserved, idType: typeof reservation.id },
  settled: { state: reservation.state, costUsd: settled.costUsd, tokens: settled.usage.tokens, cached: settled.usage.cachedInputTokens },
  warnings,
  refusal,
  clampedTo,
  invalid,
  status: { used: status.used, reserved: status.reserved, text: formatStatus(status) },
  totals: { tokens: totals.tokens, reasoningTokens: totals.reasoningTokens, requests: totals.requests },
  events,
}
`

describe('@tokenwarden/core main entry', () => {
  describe('in an edge-like context (web-standard globals only)', () => {
    it('should create a budget and run reserve, settle, refuse, clamp and release', () => {
      const run = runInEdgeContext(lifecycle)
      expect(run).toMatchObject({ ok: true })
      const { result } = run as Extract<EdgeRun, { ok: true }>
      expect(result.globals).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'undefined'])
      expect(result.held).toEqual({ state: 'open', reserved: 800, idType: 'string' })
      // 200 uncached input × $2.5 + 100 cached × $1.25 + 480 output × $10, per million tokens.
      expect(result.settled).toEqual({
        state: 'settled',
        costUsd: expect.closeTo(0.005425, 12),
        tokens: 780,
        cached: 100,
      })
      expect(result.warnings).toEqual([0.75])
      expect(result.refusal).toEqual({ isInstance: true, remaining: 220, requested: 800 })
      expect(result.clampedTo).toBe(120)
      expect(result.invalid).toEqual({ isInstance: true, field: 'limits[0].tokens' })
      expect(result.status).toEqual({ used: 780, reserved: 0, text: expect.stringContaining('780') })
      expect(result.totals).toEqual({ tokens: 780, reasoningTokens: 20, requests: 1 })
      expect(result.events).toEqual([['settled', 780]])
    })

    it('should load only the built core, whose code names no Node-only API', () => {
      const run = runInEdgeContext(`export { createBudget } from '@tokenwarden/core'`)
      expect(run.ok).toBe(true)
      const { modules } = run as Extract<EdgeRun, { ok: true }>
      expect(modules.length).toBeGreaterThanOrEqual(2) // the entry and its chunk
      for (const url of modules) {
        expect(url).toMatch(/\/packages\/core\/dist\/[^/]+\.js$/)
        // Code paths the lifecycle test does not run must not reach for Node either.
        const code = readFileSync(fileURLToPath(url), 'utf8')
        expect(code).not.toMatch(
          /\bprocess\.(env|argv|exit|nextTick|hrtime|cwd|platform|versions?|on)\b|\brequire\(|\bBuffer\.|\bglobal\.|\bsetImmediate\(|["']node:/,
        )
      }
    })

    describe('the context itself', () => {
      it('should have no Node globals', () => {
        expect(runInEdgeContext('export const result = process.env')).toEqual({
          ok: false,
          error: { name: 'ReferenceError', message: 'process is not defined' },
        })
      })

      it('should refuse Node built-in modules', () => {
        expect(runInEdgeContext(`import 'node:fs'`)).toMatchObject({
          ok: false,
          error: { message: expect.stringContaining('cannot import "node:fs"') },
        })
      })

      it('should refuse code generation from strings', () => {
        expect(runInEdgeContext(`export const result = new Function('return 1')()`)).toMatchObject({
          ok: false,
          error: { name: 'EvalError' },
        })
      })
    })
  })
})
