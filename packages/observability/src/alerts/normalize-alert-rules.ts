import {
  type BudgetContext,
  BudgetValidationError,
  type LimitUnit,
  limitUnits,
  parseDuration,
} from '@tokenwarden/core'
import type { AlertRule } from './alert-rule.ts'

/** A validated runaway rule. */
export interface RunawayCheck {
  type: 'runaway'
  name: string
  scope: string
  expected: (taskId: string, context: BudgetContext) => number | undefined
  factor: number
}

/** A validated spike rule. */
export interface SpikeCheck {
  type: 'spike'
  name: string
  scope: string
  unit: LimitUnit
  windowMs: number
  trailingMs: number
  bucketMs: number
  factor: number
  minUsage: number
}

/** A validated forecast rule. */
export interface ForecastCheck {
  type: 'forecast'
  name: string
  limit: string | undefined
  scope: string | undefined
  unit: LimitUnit | undefined
  share: number
  minElapsed: number
}

/** A validated rule. */
export type AlertCheck = RunawayCheck | SpikeCheck | ForecastCheck

const keys: Record<AlertRule['type'], readonly string[]> = {
  runaway: ['type', 'name', 'scope', 'expectedTokens', 'factor'],
  spike: ['type', 'name', 'scope', 'unit', 'window', 'trailing', 'bucket', 'factor', 'minUsage'],
  forecast: ['type', 'name', 'limit', 'scope', 'unit', 'share', 'minElapsed'],
}

/**
 * Validates alert rules (from code or a config file) and resolves their defaults; every error is a
 * `BudgetValidationError` naming the field, e.g. `rules[1].factor`.
 *
 * @example
 * const checks = normalizeAlertRules([{ type: 'spike', window: '5m' }], 'rules')
 */
export function normalizeAlertRules(rules: unknown, field: string): AlertCheck[] {
  if (!Array.isArray(rules))
    throw new BudgetValidationError({ field, value: rules, reason: 'expected an array of rules' })
  const checks = rules.map((rule, index) => normalizeRule(rule, `${field}[${index}]`))
  const names = new Set<string>()
  for (const [index, check] of checks.entries()) {
    if (names.has(check.name)) {
      throw new BudgetValidationError({
        field: `${field}[${index}].name`,
        value: check.name,
        reason: 'expected a name no other rule has (give each rule of one type a name)',
      })
    }
    names.add(check.name)
  }
  return checks
}

function normalizeRule(rule: unknown, field: string): AlertCheck {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
    throw new BudgetValidationError({ field, value: rule, reason: 'expected a rule object' })
  }
  const r = rule as Record<string, unknown>
  const type = r.type
  if (type !== 'runaway' && type !== 'spike' && type !== 'forecast') {
    throw new BudgetValidationError({
      field: `${field}.type`,
      value: type,
      reason: "expected 'runaway', 'spike' or 'forecast'",
    })
  }
  for (const key of Object.keys(r)) {
    if (!keys[type].includes(key)) {
      throw new BudgetValidationError({
        field: `${field}.${key}`,
        value: r[key],
        reason: `unknown option of a ${type} rule (expected one of ${keys[type].join(', ')})`,
      })
    }
  }
  const name = optionalId(r.name, `${field}.name`) ?? type
  if (type === 'runaway') {
    return {
      type,
      name,
      scope: optionalId(r.scope, `${field}.scope`) ?? 'task',
      expected: expectedOf(r.expectedTokens, `${field}.expectedTokens`),
      factor: positive(r.factor ?? 3, `${field}.factor`),
    }
  }
  if (type === 'spike') {
    const windowMs = parseDuration(r.window ?? '5m', `${field}.window`)
    const trailingMs = parseDuration(r.trailing ?? '1h', `${field}.trailing`)
    const bucketMs = r.bucket === undefined ? windowMs / 10 : parseDuration(r.bucket, `${field}.bucket`)
    if (!Number.isInteger(bucketMs) || windowMs % bucketMs !== 0) {
      throw new BudgetValidationError({
        field: r.bucket === undefined ? `${field}.window` : `${field}.bucket`,
        value: r.bucket ?? r.window,
        reason: `the window (${windowMs} ms) must divide into whole buckets of ${bucketMs} ms`,
      })
    }
    if (trailingMs % bucketMs !== 0) {
      throw new BudgetValidationError({
        field: `${field}.trailing`,
        value: r.trailing,
        reason: `expected a whole number of buckets (${bucketMs} ms)`,
      })
    }
    return {
      type,
      name,
      scope: optionalId(r.scope, `${field}.scope`) ?? 'global',
      unit: unitOf(r.unit, `${field}.unit`) ?? 'tokens',
      windowMs,
      trailingMs,
      bucketMs,
      factor: positive(r.factor ?? 3, `${field}.factor`),
      minUsage: nonNegative(r.minUsage ?? 0, `${field}.minUsage`),
    }
  }
  const share = positive(r.share ?? 1, `${field}.share`)
  const minElapsed = nonNegative(r.minElapsed ?? 0.1, `${field}.minElapsed`)
  if (minElapsed > 1) {
    throw new BudgetValidationError({
      field: `${field}.minElapsed`,
      value: minElapsed,
      reason: 'expected a share of the period from 0 to 1',
    })
  }
  return {
    type,
    name,
    limit: optionalId(r.limit, `${field}.limit`),
    scope: optionalId(r.scope, `${field}.scope`),
    unit: unitOf(r.unit, `${field}.unit`),
    share,
    minElapsed,
  }
}

function expectedOf(value: unknown, field: string): RunawayCheck['expected'] {
  if (typeof value === 'function') {
    const expected = value as (taskId: string, context: BudgetContext) => number | undefined
    return (taskId, context) => {
      const tokens = expected(taskId, context)
      return tokens === undefined ? undefined : positive(tokens, field)
    }
  }
  if (typeof value === 'number') {
    const tokens = positive(value, field)
    return () => tokens
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const map = new Map<string, number>()
    for (const [taskId, tokens] of Object.entries(value))
      map.set(taskId, positive(tokens, `${field}.${taskId}`))
    if (map.size === 0)
      throw new BudgetValidationError({ field, value, reason: 'expected at least one task' })
    return (taskId) => map.get(taskId) ?? map.get('*')
  }
  throw new BudgetValidationError({
    field,
    value,
    reason: "expected tokens > 0, a map of task id → tokens ('*' for the others) or a function",
  })
}

function positive(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new BudgetValidationError({ field, value, reason: 'expected a finite number > 0' })
  }
  return value
}

function nonNegative(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new BudgetValidationError({ field, value, reason: 'expected a finite number >= 0' })
  }
  return value
}

function optionalId(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '') {
    throw new BudgetValidationError({ field, value, reason: 'expected a non-empty string' })
  }
  return value
}

function unitOf(value: unknown, field: string): LimitUnit | undefined {
  if (value === undefined) return undefined
  if (!limitUnits.includes(value as LimitUnit)) {
    throw new BudgetValidationError({ field, value, reason: `expected one of ${limitUnits.join(', ')}` })
  }
  return value as LimitUnit
}
