import { formatAmount, type Spender } from '@tokenwarden/core'
import { formatTable, textBar } from './format-table.ts'

/**
 * The `top` table of one scope: spenders by cost then tokens (as `budget.report()` orders them), with
 * their token, cost and request counts and a bar of their share of all tokens.
 *
 * @example
 * console.log(formatTopTable('agent', report.top.agent ?? [], { totalTokens: report.totals.tokens }))
 * // AGENT       TOKENS  INPUT  OUTPUT   COST  REQUESTS  SHARE
 * // researcher   1,500  1,000     500  $0.01         2  [██████████░░░░░░░░░░]  50%
 */
export function formatTopTable(
  scope: string,
  spenders: readonly Spender[],
  { totalTokens, barWidth = 20 }: { totalTokens: number; barWidth?: number },
): string {
  const rows = spenders.map(({ id, usage }) => {
    const share = totalTokens > 0 ? usage.tokens / totalTokens : 0
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
  return formatTable([scope.toUpperCase(), 'TOKENS', 'INPUT', 'OUTPUT', 'COST', 'REQUESTS', 'SHARE'], rows, {
    right: [1, 2, 3, 4, 5],
  })
}
