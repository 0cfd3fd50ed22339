import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { StoreUnavailableError, TokenwardenError } from '@tokenwarden/core'
import { burnDowns } from './burn-down.ts'
import { CliError } from './cli-error.ts'
import { commandHelp } from './command-help.ts'
import { formatCounterTable } from './format-counter-table.ts'
import { formatStatusTable } from './format-status-table.ts'
import { formatTopTable } from './format-top-table.ts'
import { grantCommand, grantUnitOptions } from './grant-command.ts'
import { loadConfig } from './load-config.ts'
import { openStore } from './open-store.ts'
import { parseStoreUrl, redactUrlsIn, type StoreLocation } from './parse-store-url.ts'
import { rankSpenders, type SpenderSort, spenderSorts } from './rank-spenders.ts'
import { type BudgetSnapshot, readBudget } from './read-budget.ts'
import { renderHtmlReport } from './render-html-report.ts'

/** Where `runCli` writes and what it reads from its environment. */
export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** @default process.env */
  env?: Record<string, string | undefined>
}

const options = {
  store: { type: 'string' },
  prefix: { type: 'string' },
  config: { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  by: { type: 'string' },
  limit: { type: 'string' },
  sort: { type: 'string' },
  json: { type: 'boolean' },
  html: { type: 'string' },
  top: { type: 'string' },
  title: { type: 'string' },
  tokens: { type: 'string' },
  'input-tokens': { type: 'string' },
  'output-tokens': { type: 'string' },
  'cost-usd': { type: 'string' },
  requests: { type: 'string' },
  'limit-name': { type: 'string' },
  'grant-id': { type: 'string' },
} as const

const commandOptions: Record<string, readonly string[]> = {
  status: [],
  top: ['by', 'limit', 'sort'],
  report: ['json', 'html', 'top', 'title'],
  grant: [...Object.keys(grantUnitOptions), 'limit-name', 'grant-id'],
}

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values']

/**
 * Runs the `tokenwarden` command with `argv` (without `node` and the script) and returns its exit
 * code: 0 ok, 1 the store failed, 2 bad usage, unknown store, missing file or invalid config.
 *
 * @example
 * const code = await runCli(['status', '--store', 'sqlite:./budget.db', '--config', 'budget.config.json'], {
 *   stdout: (text) => process.stdout.write(text),
 *   stderr: (text) => process.stderr.write(text),
 * })
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let location: StoreLocation | undefined
  try {
    let parsed: { values: Values; positionals: string[] }
    try {
      parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
    } catch (cause) {
      throw new CliError({ code: 'invalid_usage', message: (cause as Error).message, cause })
    }
    const { values, positionals } = parsed
    const [command = '', ...rest] = positionals
    if (command === 'help' || command === '') {
      const topic = command === 'help' ? (rest[0] ?? '') : ''
      if (!(topic in commandHelp)) throw unknownCommand(topic)
      io.stdout(commandHelp[topic as keyof typeof commandHelp])
      return command === '' && !values.help ? 2 : 0
    }
    if (!(command in commandOptions)) throw unknownCommand(command)
    if (values.help) {
      io.stdout(commandHelp[command as keyof typeof commandHelp])
      return 0
    }
    if (rest.length > 0 && command !== 'grant') {
      throw new CliError({ code: 'invalid_usage', message: `unexpected argument "${rest[0]}"` })
    }
    for (const name of Object.keys(values)) {
      const owner = Object.entries(commandOptions).find(([, names]) => names.includes(name))?.[0]
      if (owner !== undefined && owner !== command) {
        throw new CliError({
          code: 'invalid_usage',
          message: `--${name} is an option of "${owner}", not "${command}"`,
        })
      }
    }
    location = parseStoreUrl(values.store ?? (io.env ?? process.env).TOKENWARDEN_STORE)
    const config = values.config === undefined ? undefined : loadConfig(values.config)
    const timeoutMs = positiveInteger(values.timeout, 'timeout') ?? 5000
    const top =
      command === 'top' ? positiveInteger(values.limit, 'limit') : positiveInteger(values.top, 'top')
    const sort = spenderSort(values.sort)
    if (command === 'report' && !values.json && values.html === undefined) {
      throw new CliError({ code: 'invalid_usage', message: 'report needs --json or --html FILE' })
    }
    const store = await openStore(location, {
      timeoutMs,
      ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
    })
    try {
      if (command === 'grant') {
        const target = {
          target: rest,
          units: values,
          limitName: values['limit-name'],
          grantId: values['grant-id'],
        }
        io.stdout(`store: ${location.display}\n`)
        io.stdout(await grantCommand(store, config, target, Date.now(), values.config))
        return 0
      }
      // Every spender is read, then ranked here: the core's report cuts its lists by cost.
      const snapshot = await readBudget({
        store,
        config,
        top: Number.MAX_SAFE_INTEGER,
        configPath: values.config ?? 'config',
      })
      snapshot.report.top = rankSpenders(snapshot.report.top, sort, top ?? 10)
      if (command === 'status') status(snapshot, location, io)
      else if (command === 'top') topSpenders(snapshot, values.by, sort, io)
      else report(snapshot, location, values, io)
    } finally {
      await store.dispose?.()
    }
    return 0
  } catch (error) {
    return fail(error, location, io)
  }
}

function status(snapshot: BudgetSnapshot, location: StoreLocation, io: CliIo): void {
  io.stdout(`store: ${location.display}\n`)
  if (!snapshot.hasLimits) {
    io.stdout(`${formatCounterTable(snapshot.counters)}\n`)
    io.stdout('note: the store keeps usage, not caps: pass --config with the limits to see bars\n')
    return
  }
  if (snapshot.report.limits.length === 0) {
    io.stdout('no limit has usage in its current period\n')
    return
  }
  io.stdout(`${formatStatusTable(snapshot.report.limits, { now: snapshot.now })}\n`)
}

function topSpenders(snapshot: BudgetSnapshot, by: string | undefined, sort: SpenderSort, io: CliIo): void {
  const { top, totals } = snapshot.report
  if (by !== undefined && !/^[A-Za-z0-9_.-]+$/.test(by)) {
    throw new CliError({
      code: 'invalid_usage',
      message: `invalid --by "${by}": expected agent, user or model`,
    })
  }
  const rank = (scope: string) => {
    const index = ['agent', 'user', 'model'].indexOf(scope)
    return index === -1 ? 3 : index
  }
  const scopes =
    by !== undefined ? [by] : Object.keys(top).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
  const sections = scopes.map((scope) => {
    const spenders = top[scope] ?? []
    return spenders.length === 0
      ? `${scope.toUpperCase()}\n(no usage tracked by ${scope})`
      : formatTopTable(scope, spenders, { totals, sort })
  })
  io.stdout(sections.length === 0 ? 'no usage tracked yet\n' : `${sections.join('\n\n')}\n`)
}

function report(snapshot: BudgetSnapshot, location: StoreLocation, values: Values, io: CliIo): void {
  const charts = burnDowns(snapshot.report.limits, snapshot.counters, snapshot.now)
  if (values.json) {
    const { generatedAt, limits, top, totals } = snapshot.report
    io.stdout(
      `${JSON.stringify({ store: location.display, generatedAt, limits, top, totals, burnDowns: charts }, null, 2)}\n`,
    )
  }
  if (values.html !== undefined) {
    const html = renderHtmlReport({
      report: snapshot.report,
      burnDowns: charts,
      store: location.display,
      hasLimits: snapshot.hasLimits,
      now: snapshot.now,
      ...(values.title === undefined ? {} : { title: values.title }),
    })
    try {
      writeFileSync(values.html, html)
    } catch (cause) {
      throw new CliError({
        code: 'write_failed',
        message: `cannot write ${values.html}: ${(cause as Error).message}`,
        cause,
      })
    }
    const drawn = charts.filter((chart) => chart.kind !== 'all-time').length
    io.stderr(
      `wrote ${values.html} (${plural(snapshot.report.limits.length, 'limit')}, ${plural(drawn, 'burn-down chart')})\n`,
    )
  }
}

function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`
}

function spenderSort(value: string | undefined): SpenderSort {
  if (value === undefined) return 'tokens'
  if ((spenderSorts as readonly string[]).includes(value)) return value as SpenderSort
  throw new CliError({
    code: 'invalid_usage',
    message: `invalid --sort "${value}": expected ${spenderSorts.join(', ')}`,
  })
}

function positiveInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new CliError({
      code: 'invalid_usage',
      message: `invalid --${name} "${value}": expected a whole number ≥ 1`,
    })
  }
  return number
}

function unknownCommand(command: string): CliError {
  return new CliError({
    code: 'invalid_usage',
    message: `unknown command "${command}": expected status, top, report or grant`,
  })
}

function fail(error: unknown, location: StoreLocation | undefined, io: CliIo): number {
  const exitCode = CliError.isInstance(error) ? error.exitCode : 1
  let message = error instanceof Error ? error.message : String(error)
  if (StoreUnavailableError.isInstance(error)) {
    const cause = (error as { cause?: unknown }).cause
    const reason = cause instanceof Error ? cause.message : ''
    message = `cannot read ${location?.display ?? 'the store'}: ${
      /max retries per request|ECONNREFUSED|ENOTFOUND|ETIMEDOUT/i.test(reason)
        ? 'connection failed (is the server running at that address?)'
        : reason || 'the store is unavailable'
    }`
  }
  message = redactSecrets(message.replace(/^\[tokenwarden\] /, ''), location)
  io.stderr(`tokenwarden: ${message}\n`)
  if (exitCode === 2) io.stderr('run "tokenwarden --help" for usage\n')
  else if (!TokenwardenError.isInstance(error) && error instanceof Error && error.stack !== undefined) {
    io.stderr(`${redactSecrets(error.stack, location)}\n`)
  }
  return exitCode
}

function redactSecrets(text: string, location: StoreLocation | undefined): string {
  if (location?.kind !== 'redis') return redactUrlsIn(text)
  let redacted = text.replaceAll(location.url, location.display)
  const url = new URL(location.url)
  for (const secret of [url.password, url.password === '' ? url.username : '']) {
    if (secret.length >= 3) {
      redacted = redacted.replaceAll(secret, '***').replaceAll(safeDecode(secret), '***')
    }
  }
  return redactUrlsIn(redacted)
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
