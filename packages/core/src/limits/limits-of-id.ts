import type { PeriodSpec } from '../periods/period.ts'
import type { CompiledLimit } from './compile-limits.ts'
import type { LimitUnit } from './limit-unit.ts'

/**
 * Every limit that applies to one id of a scope: the id's own limits, plus each default limit of the
 * scope without the units the id's limits set for the same period (a default the id replaces entirely
 * drops out; `replaceDefaults: true` on an id limit drops every default). A narrowed default keeps its
 * name and counter: only its caps shrink. The variants are recorded on the defaults (`variants`) so
 * reports show the caps that apply to the id. Sorted as the limits were configured.
 *
 * @example
 * // defaults: agent tokens 50k; own: agent 'researcher' requests 1000/day → both apply to the researcher
 * limitsOfId('researcher', own, defaults).map((limit) => limit.name) // ['agent/none', 'agent:researcher/day']
 */
export function limitsOfId(id: string, own: CompiledLimit[], defaults: CompiledLimit[]): CompiledLimit[] {
  const applies = [...own]
  const replaceAll = own.some((limit) => limit.replaceDefaults)
  for (const fallback of defaults) {
    const kept = replaceAll
      ? []
      : fallback.capList.filter(
          ({ unit }) =>
            !own.some((limit) => limit.caps[unit] !== undefined && samePeriod(limit.period, fallback.period)),
        )
    if (kept.length === fallback.capList.length) {
      applies.push(fallback)
      continue
    }
    const variant = kept.length === 0 ? null : narrow(fallback, kept)
    fallback.variants!.set(id, variant)
    if (variant !== null) applies.push(variant)
  }
  return applies.sort((a, b) => a.index - b.index)
}

function samePeriod(a: PeriodSpec, b: PeriodSpec): boolean {
  return a.kind === b.kind && a.rollingMs === b.rollingMs
}

function narrow(limit: CompiledLimit, capList: CompiledLimit['capList']): CompiledLimit {
  const caps: CompiledLimit['caps'] = {}
  let rollover: Partial<Record<LimitUnit, number>> | undefined
  for (const { unit, cap } of capList) {
    caps[unit] = cap
    const carry = limit.rollover?.[unit]
    if (carry === undefined) continue
    rollover ??= {}
    rollover[unit] = carry
  }
  return {
    ...limit,
    caps,
    capList,
    usesCost: caps.costUsd !== undefined,
    rollover,
    variants: undefined,
    lastCharge: undefined,
    carried: new Map(),
    carriedPeriod: -1,
  }
}
