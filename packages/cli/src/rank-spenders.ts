import type { Spender } from '@tokenwarden/core'

/**
 * What `top` ranks spenders by.
 *
 * @example
 * const sort: SpenderSort = 'cost'
 */
export type SpenderSort = 'tokens' | 'cost' | 'requests'

/**
 * The accepted `--sort` values, in the order `--help` lists them.
 *
 * @example
 * spenderSorts.includes('tokens') // true
 */
export const spenderSorts: readonly SpenderSort[] = ['tokens', 'cost', 'requests']

const field = { tokens: 'tokens', cost: 'costUsd', requests: 'requests' } as const

/**
 * The usage field a sort ranks by.
 *
 * @example
 * sortField('cost') // 'costUsd'
 */
export function sortField(sort: SpenderSort): 'tokens' | 'costUsd' | 'requests' {
  return field[sort]
}

/**
 * Ranks every scope's spenders by `sort` (most first; ties by tokens, cost, then id) and keeps the
 * first `limit` of each: the order the table's bar and share show.
 *
 * @example
 * rankSpenders(report.top, 'tokens', 5).agent?.[0]?.id // the agent that used the most tokens
 */
export function rankSpenders(
  top: Readonly<Record<string, readonly Spender[]>>,
  sort: SpenderSort,
  limit: number,
): Record<string, Spender[]> {
  const key = field[sort]
  const ranked: Record<string, Spender[]> = {}
  for (const [scope, spenders] of Object.entries(top)) {
    ranked[scope] = [...spenders]
      .sort(
        (a, b) =>
          b.usage[key] - a.usage[key] ||
          b.usage.tokens - a.usage.tokens ||
          b.usage.costUsd - a.usage.costUsd ||
          a.id.localeCompare(b.id),
      )
      .slice(0, limit)
  }
  return ranked
}
