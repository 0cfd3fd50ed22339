import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { requiredNode, unsupportedNodeMessage } from './node-requirement.ts'
import { cliPath } from './testing/run-tokenwarden.ts'

describe('unsupportedNodeMessage', () => {
  it('should accept the required Node.js and anything later', () => {
    for (const version of ['22.16.0', '22.16.1', '22.23.5', '23.0.0', '24.21.0', '26.1.0']) {
      expect(unsupportedNodeMessage(version)).toBeUndefined()
    }
  })

  it('should refuse anything older in one line naming both versions', () => {
    for (const version of ['22.15.1', '22.12.0', '22.0.0', '20.20.2', '18.0.0']) {
      expect(unsupportedNodeMessage(version)).toBe(
        `tokenwarden needs Node.js 22.16.0 or later; this is Node.js ${version}`,
      )
    }
  })

  it('should require what the package states in engines.node', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    expect(manifest.engines.node).toBe(`>=${requiredNode}`)
  })
})

describe('tokenwarden on a too-old Node.js', () => {
  it('should print one line, no stack trace, and exit 1', () => {
    // Simulates Node.js 22.15.1 (whose node:sqlite lacks what the SQLite store uses) in the built command.
    const pretend = `data:text/javascript,Object.defineProperty(process.versions, 'node', { value: '22.15.1' })`
    const child = spawnSync(
      process.execPath,
      ['--import', pretend, cliPath, 'status', '--store', 'sqlite:./missing.db'],
      { encoding: 'utf8' },
    )
    expect(child.stdout).toBe('')
    expect(child.stderr).toBe('tokenwarden needs Node.js 22.16.0 or later; this is Node.js 22.15.1\n')
    expect(child.status).toBe(1)
  })
})
