import { readFileSync } from 'node:fs'
import type { LimitConfig } from '@tokenwarden/core'
import { CliError } from './cli-error.ts'

/**
 * What the CLI needs to know about a budget that its store does not keep: the limits (their caps) and
 * the calendar of their periods. The same values the application passes to `createBudget`; other keys
 * of the file (alert rules, prices…) are ignored.
 *
 * @example
 * const config: BudgetFileConfig = { limits: [{ scope: 'thread', tokens: 100_000 }], timeZone: 'UTC' }
 */
export interface BudgetFileConfig {
  limits: LimitConfig[]
  /** Custom scopes the limits use (`createBudget`'s `scopes`). */
  scopes?: string[]
  /** @default 'UTC' */
  timeZone?: string
  /** @default 1 (Monday) */
  weekStartsOn?: number
}

/**
 * Reads a JSON budget config (`--config budget.config.json`). Throws a {@link CliError} (exit code 2)
 * when the file is missing, is not JSON or has no `limits` array; the limits themselves are validated by
 * `createBudget`, whose `BudgetValidationError` names the field.
 *
 * @example
 * const { limits } = loadConfig('./budget.config.json')
 */
export function loadConfig(path: string): BudgetFileConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT'
    throw new CliError({
      code: 'missing_file',
      message: missing ? `no such config file: ${path}` : `cannot read config ${path}`,
      cause,
    })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw new CliError({
      code: 'invalid_config',
      message: `config ${path} is not valid JSON: ${(cause as Error).message}`,
      cause,
    })
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError({ code: 'invalid_config', message: `config ${path}: expected a JSON object` })
  }
  const { limits, scopes, timeZone, weekStartsOn } = parsed as Record<string, unknown>
  if (!Array.isArray(limits)) {
    throw new CliError({
      code: 'invalid_config',
      message: `config ${path}: invalid limits: expected an array of limits as given to createBudget`,
    })
  }
  return {
    limits: limits as LimitConfig[],
    ...(scopes === undefined ? {} : { scopes: scopes as string[] }),
    ...(timeZone === undefined ? {} : { timeZone: timeZone as string }),
    ...(weekStartsOn === undefined ? {} : { weekStartsOn: weekStartsOn as number }),
  }
}
