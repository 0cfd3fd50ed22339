import type { ResolvedCharge } from '../budget/resolve-charges.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { type PeriodSpec, parsePeriod } from '../periods/period.ts'
import { builtInScopes } from './built-in-scopes.ts'
import type { LimitConfig } from './limit-config.ts'
import { type LimitUnit, limitUnits } from './limit-unit.ts'
import { limitsOfId } from './limits-of-id.ts'
import { assertScope } from './parse-scopes.ts'
import { parseRollover } from './rollover.ts'
import { parseThresholds, type Threshold } from './threshold.ts'
import { assertAmount, assertId, assertObject } from './validate.ts'

/** What a limit without `id` does with a call whose context lacks its scope's id. */
export type MissingScopePolicy = 'refuse' | 'skip'

/** A validated limit, ready for the hot path. */
export interface CompiledLimit {
  index: number
  name: string
  scope: string
  id: string | undefined
  /** Limits without `id`: refuse a context without this scope's id, or let it past this limit. */
  onMissingScope: MissingScopePolicy
  /** Limits with `id`: replace every default limit of the scope for this id, not only same unit and period. */
  replaceDefaults: boolean
  /** Record per-bucket usage history of calendar periods (see `LimitConfig.history`). */
  history: boolean
  /**
   * The limit whose period window this one follows: itself, or the default limit a per-id variant narrows
   * (a variant shares the default's counter and period; the window state lives on the default).
   */
  base: CompiledLimit
  /**
   * Default limits: per id that has its own limits, the variant that applies to that id (this limit
   * without the units the id's limits replace), or `null` when they replace all of it.
   */
  variants: Map<string, CompiledLimit | null> | undefined
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

/** The limits of one scope. */
export interface ScopeGroup {
  scope: string
  /** The limits without `id`: they apply to each value of the scope. */
  defaults: CompiledLimit[]
  /** Per id with its own limits: every limit that applies to it (its own and the defaults it keeps). */
  byId: Map<string, CompiledLimit[]>
  /** The first default limit that refuses a context without this scope's id (none for `global`). */
  required: CompiledLimit | undefined
}

/** Limits grouped by scope: default limits and per-id overrides. */
export interface LimitTable {
  limits: CompiledLimit[]
  /** Some limit carries unused budget into the next period. */
  rollover: boolean
  scopes: ScopeGroup[]
  byName: Map<string, CompiledLimit>
}

/** Options of {@link compileLimits}. */
export interface CompileLimitsOptions {
  /** Every scope the budget knows. @default the built-in scopes */
  scopes?: ReadonlySet<string>
  /** The budget's `onMissingScope`. @default 'refuse' */
  onMissingScope?: MissingScopePolicy
}

const builtIn: ReadonlySet<string> = new Set(builtInScopes)
const missingScopePolicies = new Set(['refuse', 'skip'])

/**
 * Validates the `limits` option and builds the lookup table: per scope its default limits, and per id
 * with limits of its own the precomputed list of what applies to it.
 *
 * @example
 * compileLimits([{ scope: 'thread', tokens: 1000 }], defaultThresholds).scopes[0].scope // 'thread'
 */
export function compileLimits(
  configs: unknown,
  thresholds: Threshold[],
  { scopes: known = builtIn, onMissingScope = 'refuse' }: CompileLimitsOptions = {},
): LimitTable {
  if (!Array.isArray(configs)) {
    throw new BudgetValidationError({
      field: 'limits',
      value: configs,
      reason: 'expected an array of limits',
    })
  }
  const limits = configs.map((config, index) =>
    compileLimit(config, index, thresholds, known, onMissingScope),
  )
  const byName = new Map<string, CompiledLimit>()
  const scopes: ScopeGroup[] = []
  const idLimits = new Map<ScopeGroup, Map<string, CompiledLimit[]>>()
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
      group = { scope: limit.scope, defaults: [], byId: new Map(), required: undefined }
      scopes.push(group)
      idLimits.set(group, new Map())
    }
    if (limit.id === undefined) {
      group.defaults.push(limit)
      if (group.required === undefined && limit.scope !== 'global' && limit.onMissingScope === 'refuse')
        group.required = limit
    } else {
      const byId = idLimits.get(group)!
      byId.set(limit.id, [...(byId.get(limit.id) ?? []), limit])
    }
  }
  for (const group of scopes) {
    for (const [id, own] of idLimits.get(group)!) group.byId.set(id, limitsOfId(id, own, group.defaults))
  }
  return { limits, scopes, byName, rollover: limits.some((limit) => limit.rollover !== undefined) }
}

function compileLimit(
  config: unknown,
  index: number,
  defaults: Threshold[],
  scopes: ReadonlySet<string>,
  budgetMissingScope: MissingScopePolicy,
): CompiledLimit {
  const field = `limits[${index}]`
  assertObject(config, field)
  const limit = config as unknown as LimitConfig
  assertScope(limit.scope, scopes, `${field}.scope`)
  if (limit.id !== undefined) assertId(limit.id, `${field}.id`)
  if (limit.scope === 'global' && limit.id !== undefined) {
    throw new BudgetValidationError({
      field: `${field}.id`,
      value: limit.id,
      reason: 'the global scope takes no id',
    })
  }
  const onMissingScope = limit.onMissingScope ?? budgetMissingScope
  if (limit.onMissingScope !== undefined) {
    if (!missingScopePolicies.has(limit.onMissingScope)) {
      throw new BudgetValidationError({
        field: `${field}.onMissingScope`,
        value: limit.onMissingScope,
        reason: "expected 'refuse' or 'skip'",
      })
    }
    if (limit.id !== undefined || limit.scope === 'global') {
      throw new BudgetValidationError({
        field: `${field}.onMissingScope`,
        value: limit.onMissingScope,
        reason:
          limit.id === undefined
            ? 'the global scope always applies'
            : 'a limit with an id applies to that id only; onMissingScope belongs on limits without id',
      })
    }
  }
  if (limit.replaceDefaults !== undefined) {
    if (typeof limit.replaceDefaults !== 'boolean') {
      throw new BudgetValidationError({
        field: `${field}.replaceDefaults`,
        value: limit.replaceDefaults,
        reason: 'expected true or false',
      })
    }
    if (limit.id === undefined) {
      throw new BudgetValidationError({
        field: `${field}.replaceDefaults`,
        value: limit.replaceDefaults,
        reason: 'only a limit with an id replaces the default limits of its scope',
      })
    }
  }
  if (limit.history !== undefined && typeof limit.history !== 'boolean') {
    throw new BudgetValidationError({
      field: `${field}.history`,
      value: limit.history,
      reason: 'expected true or false',
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
  const compiled: CompiledLimit = {
    index,
    name: limit.name ?? `${limit.scope}${limit.id === undefined ? '' : `:${limit.id}`}/${period.label}`,
    scope: limit.scope,
    id: limit.id,
    onMissingScope,
    replaceDefaults: limit.replaceDefaults === true,
    history: limit.history ?? (limit.id !== undefined || limit.scope === 'global'),
    base: undefined as unknown as CompiledLimit,
    variants: limit.id === undefined ? new Map() : undefined,
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
  compiled.base = compiled
  return compiled
}
