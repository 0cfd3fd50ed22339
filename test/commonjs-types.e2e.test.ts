import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const project = fileURLToPath(new URL('./commonjs/tsconfig.json', import.meta.url))
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

/** Runs `tsc` on the CommonJS fixture; returns its diagnostics ('' when it type-checks). */
function typeCheck(module: 'node16' | 'nodenext'): string {
  try {
    execFileSync(process.execPath, [tsc, '-p', project, '--module', module, '--moduleResolution', module], {
      encoding: 'utf8',
      stdio: 'pipe',
    })
    return ''
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error)
  }
}

describe('the packages in a CommonJS project (built .cjs and .d.cts files)', () => {
  it('should load every package with require() and run a budgeted call', () => {
    const script = fileURLToPath(new URL('./commonjs/require-packages.cjs', import.meta.url))
    const output = execFileSync(process.execPath, [script], { encoding: 'utf8' })
    expect(JSON.parse(output)).toEqual({ used: 150, loaded: Array(7).fill('function') })
  }, 60_000)

  for (const module of ['node16', 'nodenext'] as const) {
    it(`should type-check withBudget(new OpenAI()) and the other README snippets in a .cts file (module ${module})`, () => {
      expect(typeCheck(module)).toBe('')
    }, 60_000)
  }
})
