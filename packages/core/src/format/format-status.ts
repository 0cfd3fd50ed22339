import type { LimitStatus } from '../reports/limit-status.ts'
import { formatAmount, unitLabel } from './format-amount.ts'

/**
 * A progress bar for one limit: `[████████░░] 82% (82,000/100,000 tokens)`.
 *
 * @example
 * for (const status of await budget.status(ctx)) console.log(status.scope, formatStatus(status))
 */
export function formatStatus(status: LimitStatus, { width = 10 }: { width?: number } = {}): string {
  const share = status.limit === 0 ? 1 : status.used / status.limit
  const filled = Math.max(0, Math.min(width, Math.round(share * width)))
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled)
  const amounts =
    status.unit === 'costUsd'
      ? `${formatAmount(status.used, 'costUsd')}/${formatAmount(status.limit, 'costUsd')}`
      : `${formatAmount(status.used, status.unit)}/${formatAmount(status.limit, status.unit)} ${unitLabel(status.unit)}`
  return `[${bar}] ${Math.floor(share * 100)}% (${amounts})`
}
