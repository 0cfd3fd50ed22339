import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('./index.ts', import.meta.url))

describe('shared budget fleet example', () => {
  it('should keep a fleet of processes under one cap on SQLite and on Redis', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    })
    for (const store of ['sqlite', 'redis']) {
      expect(stdout).toMatch(
        new RegExp(
          `\\[${store}\\] fleet used [\\d,]+ / 12,000 tokens, reserved 0 \\(never over the cap: true\\)`,
        ),
      )
      expect(stdout).toMatch(new RegExp(`\\[${store}\\] researcher: \\d+ requests?, [\\d,]+ tokens?`))
    }
  })
})
