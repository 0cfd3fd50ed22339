import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('./index.ts', import.meta.url))

describe('capped research agent demo', () => {
  it('should warn at each threshold once, stop with the error fields and print the report', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script])
    const crossed = [...stdout.matchAll(/⚠ (\w+) threshold (\d+)% crossed/g)].map((m) => `${m[1]} ${m[2]}`)
    expect(crossed).toEqual(['warning 75', 'critical 90', 'final 95'])
    expect(stdout.match(/→ model reads: /g)).toHaveLength(3)
    expect(stdout).toContain(
      '{"scope":"thread","scopeId":"session-1","unit":"tokens","limit":100000,"used":95500,"reserved":0,"requested":8196,"remaining":4500,"period":"none"}',
    )
    expect(stdout).toContain('thread session-1       all time [██████████] 95% (95,500/100,000 tokens)')
    expect(stdout).toMatch(/top model {2}gpt-4o +95,500 tokens/)
  })
})
