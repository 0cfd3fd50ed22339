import {
  type Budget,
  type BudgetStore,
  BudgetValidationError,
  type CounterState,
  createBudget,
  type HealthReport,
} from '@tokenwarden/core'
import { CliError } from './cli-error.ts'
import type { BudgetFileConfig } from './load-config.ts'

/** What one read of a store gives the commands. */
export interface BudgetSnapshot {
  /** `budget.report()` of a budget with the config's limits over the store. */
  report: HealthReport
  /** Every live counter of the store (limit counters of every period still kept, tracking counters). */
  counters: CounterState[]
  /** The instant of the read (epoch ms). */
  now: number
  /** Whether caps are known (a config was given). */
  hasLimits: boolean
}

/**
 * Reads a store once: the core's `budget.report()` (limits in their current period, top spenders,
 * totals) with the limits of `config`, plus the raw counters for history. Without a config, the report
 * has no limits (caps are not kept in the store) but top spenders and totals are complete.
 *
 * @example
 * const snapshot = await readBudget({ store, config: loadConfig('budget.config.json'), top: 10 })
 * console.log(snapshot.report.totals.tokens)
 */
export async function readBudget({
  store,
  config,
  top = 10,
  now = Date.now(),
  configPath = 'config',
}: {
  store: BudgetStore
  config?: BudgetFileConfig | undefined
  top?: number
  now?: number
  configPath?: string
}): Promise<BudgetSnapshot> {
  const budget = budgetOfConfig(store, config, now, configPath)
  const report = await budget.report({ top })
  const counters = await store.list({ now })
  return { report, counters, now, hasLimits: (config?.limits.length ?? 0) > 0 }
}

/**
 * A budget with the config's limits over the store, on a clock stopped at `now` (dry-run: the CLI
 * never refuses anything); an invalid config is a `CliError` naming the field.
 *
 * @example
 * const budget = budgetOfConfig(store, loadConfig('budget.config.json'), Date.now(), 'budget.config.json')
 */
export function budgetOfConfig(
  store: BudgetStore,
  config: BudgetFileConfig | undefined,
  now: number,
  configPath: string,
): Budget {
  try {
    return createBudget({
      limits: config?.limits ?? [],
      ...(config?.scopes === undefined ? {} : { scopes: config.scopes }),
      store,
      mode: 'dry-run',
      now: () => now,
      ...(config?.timeZone === undefined ? {} : { timeZone: config.timeZone }),
      ...(config?.weekStartsOn === undefined ? {} : { weekStartsOn: config.weekStartsOn }),
    })
  } catch (cause) {
    if (BudgetValidationError.isInstance(cause)) {
      throw new CliError({
        code: 'invalid_config',
        message: `config ${configPath}: invalid ${cause.field}: ${cause.reason}`,
        cause,
      })
    }
    throw cause
  }
}
