import type { BudgetStore } from '@tokenwarden/core'
import { type BudgetGrant, BudgetValidationError, type LimitUnit } from '@tokenwarden/core'
import { CliError } from './cli-error.ts'
import { formatStatusTable } from './format-status-table.ts'
import type { BudgetFileConfig } from './load-config.ts'
import { budgetOfConfig } from './read-budget.ts'

/**
 * The `grant` command's unit options, by the limit unit each sets.
 *
 * @example
 * grantUnitOptions['cost-usd'] // 'costUsd'
 */
export const grantUnitOptions: Readonly<Record<string, LimitUnit>> = {
  tokens: 'tokens',
  'input-tokens': 'inputTokens',
  'output-tokens': 'outputTokens',
  'cost-usd': 'costUsd',
  requests: 'requests',
}

/**
 * What `tokenwarden grant` was given on its command line.
 *
 * @example
 * const args: GrantArguments = { target: ['thread', 't-1'], units: { tokens: '5000' }, limitName: undefined, grantId: undefined }
 */
export interface GrantArguments {
  /** The positionals after `grant`: the scope, then its id (none for `global`). */
  target: readonly string[]
  /** The values of the unit options (`--tokens`, `--cost-usd`, …), as typed. */
  units: Readonly<Record<string, unknown>>
  limitName: string | undefined
  grantId: string | undefined
}

/**
 * `tokenwarden grant SCOPE [ID] --tokens N …`: raises the limits of one scope value for their current
 * period through `budget.grant()` (recorded by the store, seen at once by every process) and prints the
 * raised limits. Needs the config's limits; bad arguments are a `CliError` (exit code 2).
 *
 * @example
 * const table = await grantCommand(store, config, { target: ['thread', 't-1'], units: { tokens: '5000' }, limitName: undefined, grantId: undefined }, Date.now())
 */
export async function grantCommand(
  store: BudgetStore,
  config: BudgetFileConfig | undefined,
  args: GrantArguments,
  now: number,
  configPath = 'config',
): Promise<string> {
  if (config === undefined || config.limits.length === 0) {
    throw usage('grant needs --config FILE with the limits (the store keeps usage, not caps)')
  }
  const [scope, id, extra] = args.target
  if (scope === undefined)
    throw usage('grant needs the scope and its id, e.g. "grant thread t-1 --tokens 5000"')
  if (extra !== undefined) throw usage(`unexpected argument "${extra}"`)
  if (scope !== 'global' && id === undefined) throw usage(`grant ${scope} needs the ${scope}'s id`)
  if (scope === 'global' && id !== undefined) throw usage('the global scope has no id')
  const grant: BudgetGrant = {}
  for (const [option, unit] of Object.entries(grantUnitOptions)) {
    const value = args.units[option]
    if (typeof value !== 'string') continue
    const number = Number(value)
    if (value.trim() === '' || !Number.isFinite(number) || number <= 0) {
      throw usage(`invalid --${option} "${value}": expected a number above 0`)
    }
    grant[unit] = number
  }
  if (args.limitName !== undefined) grant.limit = args.limitName
  else grant.scope = scope
  if (args.grantId !== undefined) grant.id = args.grantId
  const budget = budgetOfConfig(store, config, now, configPath)
  const context = scope === 'global' ? {} : { [scope]: id }
  try {
    const { statuses, alreadyApplied } = await budget.grant(context, grant)
    const note = alreadyApplied ? `grant ${args.grantId} was already applied: nothing added\n` : ''
    return `${note}${formatStatusTable(statuses, { now })}\n`
  } catch (cause) {
    if (!BudgetValidationError.isInstance(cause)) throw cause
    const option = cause.field.startsWith('grant.') ? ` (${cause.field.slice('grant.'.length)})` : ''
    throw usage(`cannot grant${option}: ${cause.reason}`, cause)
  }
}

function usage(message: string, cause?: unknown): CliError {
  return new CliError({ code: 'invalid_usage', message, cause })
}
