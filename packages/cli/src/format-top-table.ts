import { formatAmount, type Spender } from '@tokenwarden/core'
import { formatTable, textBar } from './format-table.ts'
import { type SpenderSort, sortField } from './rank-spenders.ts'

/**
 * The `top` table of one scope: spenders in the order given (see `rankSpenders`), with their token,
 * cost and request counts and a bar of their share of the total of the sort's measure (tokens by
 * default), so the order, the bar and the share always agree.
 *
 * @example
 * const top = rankSpenders(report.top, 'tokens', 10)
 * console.log(formatTopTable('agent', top.agent ?? [], { totals: report.totals, sort: 'tokens' }))
 * // AGENT       TOKENS  INPUT  OUTPUT   COST  REQUESTS  SHARE OF TOKENS
 * // researcher   1,500  1,000     500  $0.01         2  [██████████░░░░░░░░░░]  50%
 */
export function formatTopTable(
  scope: string,
  spenders: readonly Spender[],
  {
    totals,
    sort = 'tokens',
    barWidth = 20,
  }: {
    totals: { tokens: number; costUsd: number; requests: number }
    sort?: SpenderSort
    barWidth?: number
  },
): string {
  const key = sortField(sort)
  const rows = spenders.map(({ id, usage }) => {
    const share = totals[key] > 0 ? usage[key] / totals[key] : 0
    return [
      id,
      formatAmount(usage.tokens, 'tokens'),
      formatAmount(usage.inputTokens, 'inputTokens'),
      formatAmount(usage.outputTokens, 'outputTokens'),
      formatAmount(usage.costUsd, 'costUsd'),
      formatAmount(usage.requests, 'requests'),
      `[${textBar(share, barWidth)}] ${`${Math.round(share * 100)}%`.padStart(4)}`,
    ]
  })
  return formatTable(
    [scope.toUpperCase(), 'TOKENS', 'INPUT', 'OUTPUT', 'COST', 'REQUESTS', `SHARE OF ${sort.toUpperCase()}`],
    rows,
    { right: [1, 2, 3, 4, 5] },
  )
}
