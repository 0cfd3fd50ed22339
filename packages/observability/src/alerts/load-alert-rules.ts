import { BudgetValidationError } from '@tokenwarden/core'
import { type AlertConfig, parseAlertRules } from './parse-alert-rules.ts'

/**
 * Reads alert rules from a YAML or JSON file (see `parseAlertRules` for the format).
 *
 * @example
 * const monitor = createAlertMonitor(budget, { ...(await loadAlertRules('./alerts.yaml')) })
 */
export async function loadAlertRules(path: string): Promise<AlertConfig> {
  if (typeof path !== 'string' || path === '') {
    throw new BudgetValidationError({ field: 'path', value: path, reason: 'expected a file path' })
  }
  const { readFile } = await import('node:fs/promises')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new BudgetValidationError({
      field: 'path',
      value: path,
      reason: 'the file cannot be read',
      cause: error,
    })
  }
  return parseAlertRules(text)
}
