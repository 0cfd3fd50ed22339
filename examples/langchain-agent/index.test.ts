import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('./index.ts', import.meta.url))

describe('langchain agent example', () => {
  it('should warn once, end the run by the budget and refuse the handler call without a request', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    })
    expect(stdout).toContain('1 carried the warning')
    expect(stdout).toContain(
      "last message: I have to stop here: this conversation's budget cannot cover the next step",
    )
    expect(stdout).toContain('handler refused the call (0 requests sent)')
    expect(stdout).toContain('thread-2 answered: Token budgets cap spend per thread.')
  })
})
