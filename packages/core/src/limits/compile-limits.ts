import type { ResolvedCharge } from '../budget/resolve-charges.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { type PeriodSpec, parsePeriod } from '../periods/period.ts'
import type { LimitConfig } from './limit-config.ts'
import { type LimitUnit, limitUnits } from './limit-unit.ts'
import { parseRollover } from './rollover.ts'
import { parseThresholds, type Threshold } from './threshold.ts'
import { assertAmount, assertId, assertObject } from './validate.ts'

/** A validated limit, ready for the hot path. */
export interface CompiledLimit {
  index: number
  name: string
  scope: string
  id: string | undefined
  /** Caps by unit (only the units the limit sets). */
  caps: Partial<Record<LimitUnit, number>>
  /** The same caps as a list, for iteration. */
  capList: { unit: LimitUnit; cap: number }[]
  usesCost: boolean
  period: PeriodSpec
  thresholds: Threshold[]
  /** Cached current period (recomputed when `now` passes `end`). */
  windowStart: number
  windowEnd: number
  /** The last resolved charge of this limit (hot loops call with the same scope value). */
  lastCharge: ResolvedCharge | undefined
  /** Most each unit may carry into the next period (`rollover`), or `undefined`. */
  rollover: Partial<Record<LimitUnit, number>> | undefined
  /** Rollover: when counters of the current period may go (the end of the next period). */
  keepUntil: number | null
  /** Rollover: the charges of the current period with what they carried, by scope value. */
  carried: Map<string, ResolvedCharge>
  carriedPeriod: number
}

/** Limits grouped by scope: default limits and per-id overrides. */
export interface LimitTable {
  limits: CompiledLimit[]
  /** Some limit carries unused budget into the next period. */
  rollover: boolean
  scopes: { scope: string; defaults: CompiledLimit[]; byId: Map<string, CompiledLimit[]> }[]
  byName: Map<string, CompiledLimit>
}

/** Validates the `limits` option and builds the lookup table. */
export function compileLimits(configs: unknown, thresholds: Threshold[]): LimitTable {
  if (!Array.isArray(configs)) {
    throw new BudgetValidationError({
      field: 'limits',
      value: configs,
      reason: 'expected an array of limits',
    })
  }
  const limits = configs.map((config, index) => compileLimit(config, index, thresholds))
  const byName = new Map<string, CompiledLimit>()
  const scopes: LimitTable['scopes'] = []
  for (const limit of limits) {
    if (byName.has(limit.name)) {
      throw new BudgetValidationError({
        field: `limits[${limit.index}].name`,
        value: limit.name,
        reason: 'two limits have the same name; give one of them a distinct `name`',
      })
    }
    byName.set(limit.name, limit)
    let group = scopes.find((entry) => entry.scope === limit.scope)
    if (!group) {
      group = { scope: limit.scope, defaults: [], byId: new Map() }
      scopes.push(group)
    }
    if (limit.id === undefined) group.defaults.push(limit)
    else group.byId.set(limit.id, [...(group.byId.get(limit.id) ?? []), limit])
  }
  return { limits, scopes, byName, rollover: limits.some((limit) => limit.rollover !== undefined) }
}

function compileLimit(config: unknown, index: number, defaults: Threshold[]): CompiledLimit {
  const field = `limits[${index}]`
  assertObject(config, field)
  const limit = config as unknown as LimitConfig
  assertId(limit.scope, `${field}.scope`)
  if (limit.id !== undefined) assertId(limit.id, `${field}.id`)
  if (limit.scope === 'global' && limit.id !== undefined) {
    throw new BudgetValidationError({
      field: `${field}.id`,
      value: limit.id,
      reason: 'the global scope takes no id',
    })
  }
  if (limit.name !== undefined) assertId(limit.name, `${field}.name`)
  const capList: CompiledLimit['capList'] = []
  const caps: CompiledLimit['caps'] = {}
  for (const unit of limitUnits) {
    const cap = limit[unit]
    if (cap === undefined) continue
    assertAmount(cap, `${field}.${unit}`, { integer: unit !== 'costUsd' })
    caps[unit] = cap
    capList.push({ unit, cap })
  }
  if (capList.length === 0) {
    throw new BudgetValidationError({
      field,
      value: config,
      reason: 'a limit needs at least one of tokens, inputTokens, outputTokens, costUsd, requests',
    })
  }
  const period = parsePeriod(limit.period, `${field}.period`)
  const rollover = parseRollover(limit.rollover, capList, period, `${field}.rollover`)
  return {
    index,
    name: limit.name ?? `${limit.scope}${limit.id === undefined ? '' : `:${limit.id}`}/${period.label}`,
    scope: limit.scope,
    id: limit.id,
    caps,
    capList,
    usesCost: caps.costUsd !== undefined,
    period,
    thresholds:
      limit.thresholds === undefined ? defaults : parseThresholds(limit.thresholds, `${field}.thresholds`),
    windowStart: 0,
    windowEnd: -1,
    lastCharge: undefined,
    rollover,
    keepUntil: null,
    carried: new Map(),
    carriedPeriod: -1,
  }
}
