import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('./index.ts', import.meta.url))

describe('openai agents example', () => {
  it('should budget a run per agent, warn once, settle a stream and refuse without a request', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    })
    expect(stdout).toContain('answer: Tides follow the moon.')
    expect(stdout).toContain('researcher: 950 tokens in 2 call(s)')
    expect(stdout).toContain('writer: 618 tokens in 1 call(s)')
    expect(stdout).toContain('the model saw a budget warning in 1 request(s)')
    expect(stdout).toMatch(/streamed: The moon and, less, the sun\. .*\(2,977\/3,000 tokens\)/)
    expect(stdout).toMatch(/refused \(0 requests sent\): /)
    expect(stdout).toContain('finished: I have to stop here: this conversation is out of budget.')
  })
})
