import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('./index.ts', import.meta.url))

describe('ai-sdk agent example', () => {
  it('should warn once, end the loop by the budget, settle streams and refuse without a request', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    })
    expect(stdout).toContain('1 carried the warning')
    expect(stdout).toContain('ended by the budget: true')
    expect(stdout).toContain('streamed: Budgets cap tokens and dollars per scope.')
    expect(stdout).toMatch(/thread-3 used [1-9]\d* tokens \(estimated\), reserved 0/)
    expect(stdout).toContain('refused before any request (0 sent)')
  })
})
