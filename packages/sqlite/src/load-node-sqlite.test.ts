import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as realSqlite from 'node:sqlite'
import { UnsupportedRuntimeError } from '@tokenwarden/core'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore } from './sqlite-store.ts'

const directory = mkdtempSync(join(tmpdir(), 'tokenwarden-sqlite-runtime-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

/** Runs `body` as on an older Node.js, whose `process.getBuiltinModule` is `getBuiltinModule`. */
function onRuntime(getBuiltinModule: unknown, body: () => void): void {
  const original = Object.getOwnPropertyDescriptor(process, 'getBuiltinModule')!
  Object.defineProperty(process, 'getBuiltinModule', { ...original, value: getBuiltinModule })
  try {
    body()
  } finally {
    Object.defineProperty(process, 'getBuiltinModule', original)
  }
}

function constructionError(options: Parameters<typeof sqliteStore>[0]): unknown {
  try {
    sqliteStore(options)
  } catch (error) {
    return error
  }
  return undefined
}

describe('sqliteStore', () => {
  describe('runtime check', () => {
    const cases = [
      ['Node.js 22.0–22.2 (no process.getBuiltinModule)', undefined, 'process.getBuiltinModule'],
      ['Node.js 22.3–22.12 (node:sqlite behind a flag)', () => undefined, 'node:sqlite'],
      [
        'Node.js 22.13–22.15 (node:sqlite without setReturnArrays)',
        (id: string) => (id === 'node:sqlite' ? { ...realSqlite, StatementSync: class {} } : undefined),
        'node:sqlite StatementSync#setReturnArrays',
      ],
    ] as const

    for (const [runtime, getBuiltinModule, missing] of cases) {
      it(`should throw UnsupportedRuntimeError at construction on ${runtime}, even with failOpen`, () => {
        const path = join(directory, 'never-created.db')
        const events: unknown[] = []
        onRuntime(getBuiltinModule, () => {
          const error = constructionError({ path, failOpen: true, onUnavailable: (e) => events.push(e) })
          expect(UnsupportedRuntimeError.isInstance(error)).toBe(true)
          expect(error).toMatchObject({
            code: 'unsupported_runtime',
            store: 'sqlite',
            required: 'Node.js ≥ 22.16.0',
            runtime: `Node.js ${process.versions.node}`,
            missing,
          })
          expect((error as Error).message).toBe(
            `[tokenwarden] [sqlite] needs Node.js ≥ 22.16.0; this is Node.js ${process.versions.node} (${missing} is missing)`,
          )
        })
        expect(events).toEqual([])
        expect(existsSync(path)).toBe(false)
      })
    }

    it('should also check when given an open database', () => {
      const database = new realSqlite.DatabaseSync(':memory:')
      onRuntime(
        () => ({ ...realSqlite, StatementSync: class {} }),
        () => {
          expect(UnsupportedRuntimeError.isInstance(constructionError({ database }))).toBe(true)
        },
      )
      database.close()
    })

    it('should construct and work on this runtime', async () => {
      const store = sqliteStore({ path: join(directory, 'ok.db') })
      expect(await store.list({ now: Date.now() })).toEqual([])
      await store.dispose?.()
    })
  })
})
