import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('./index.ts', import.meta.url))

describe('anthropic client example', () => {
  it('should refuse without a request, warn once in system with the cache breakpoint kept, settle streams and report cost', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    })
    const [, turn, sent] = stdout.match(/turn (\d+) refused before any request \((\d+) sent/)!
    expect(Number(sent)).toBe(Number(turn) - 1)
    expect(stdout).toContain('the model saw a budget warning in 1 request(s)')
    expect(stdout).toMatch(
      /system\[0\] cached: true; system\[1\]: \[Budget warning\] This conversation has used \d+%/,
    )
    expect(stdout).toContain(
      'streamed: Streams are settled from message_start and message_delta. [█░░░░░░░░░] 10% (309/3,000 tokens)',
    )
    expect(stdout).toMatch(/stream-2 used [1-9]\d* tokens \(estimated\), reserved 0/)
    expect(stdout).toMatch(/researcher spent \$0\.\d+ today/)
  })
})
