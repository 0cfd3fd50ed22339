import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BudgetValidationError } from '@tokenwarden/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadAlertRules } from './load-alert-rules.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokenwarden-alerts-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('loadAlertRules', () => {
  describe('files', () => {
    it('should load a YAML file and a JSON file', async () => {
      await writeFile(join(dir, 'alerts.yaml'), 'rules:\n  - type: forecast\n    share: 0.8\n')
      await writeFile(join(dir, 'alerts.json'), JSON.stringify({ rules: [{ type: 'spike', window: '2m' }] }))
      expect(await loadAlertRules(join(dir, 'alerts.yaml'))).toEqual({
        rules: [{ type: 'forecast', share: 0.8 }],
      })
      expect(await loadAlertRules(join(dir, 'alerts.json'))).toEqual({
        rules: [{ type: 'spike', window: '2m' }],
      })
    })

    it('should refuse a missing file naming the path and a bad rule naming its field', async () => {
      await expect(loadAlertRules(join(dir, 'missing.yaml'))).rejects.toMatchObject({
        name: 'BudgetValidationError',
        field: 'path',
      })
      await writeFile(join(dir, 'bad.yaml'), 'rules:\n  - type: spike\n    trailing: 1 hour\n')
      const error = await loadAlertRules(join(dir, 'bad.yaml')).catch((e: unknown) => e)
      expect(BudgetValidationError.isInstance(error)).toBe(true)
      expect((error as BudgetValidationError).field).toBe('rules[0].trailing')
    })
  })
})
