import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('./index.ts', import.meta.url))

describe('sub-agents example', () => {
  it('should carve, enforce and charge child budgets and a scheduler window through the ai-sdk adapter', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    })
    expect(stdout).toMatch(/two children carved .* reserved 5000/)
    expect(stdout).toContain('reviewer refused: 4,790 tokens left for a 6,000-token allotment')
    expect(stdout).toContain('researcher stopped by its child budget after 5 requests')
    expect(stdout).toContain('researcher saw its own budget warning in 1 call(s)')
    expect(stdout).toContain('researcher used 2962, writer used 310')
    // the parent is charged exactly the coordinator's and the children's usage, nothing stays reserved
    expect(stdout).toMatch(/children ended .*\(3,482\/10,000 tokens\)\s+reserved 0/)
    expect(stdout).toContain('SIGSTOP  summarizer halted')
    expect(stdout).toContain('fourth call ended by the window: true')
    expect(stdout).toContain('SIGRESUME summarizer')
    expect(stdout).toContain('after SIGRESUME the agent runs again: Summary.')
  })
})
