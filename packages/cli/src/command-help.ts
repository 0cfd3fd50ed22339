const storeOptions = `Store options:
  --store URL       sqlite:PATH or redis://[user:password@]HOST:PORT[/DB]  (default: $TOKENWARDEN_STORE)
  --prefix NAME     Redis key prefix or SQLite table prefix              (default: tokenwarden)
  --config FILE     JSON file with the budget's limits: { "limits": [...], "timeZone"?, "weekStartsOn"? }
                    (the store keeps usage, not caps: without it there are no bars or burn-downs)
  --timeout MS      how long to wait for the store                       (default: 5000)
  -h, --help        show this help`

/**
 * The `--help` text of each command, and of the program (`''`).
 *
 * @example
 * process.stdout.write(commandHelp.status)
 */
export const commandHelp: Record<'' | 'status' | 'top' | 'report' | 'grant', string> = {
  '': `Usage: tokenwarden <command> [options]

Reads a tokenwarden budget store (SQLite file or Redis) and shows where the budget stands.

Commands:
  status    a table of every limit in its current period, with progress bars, by scope
  top       top spenders by agent, user or model
  report    the whole report as JSON (--json) or a self-contained HTML page (--html FILE)
  grant     more allowance for one thread, user, agent… for the limits' current period
  help      help of a command (tokenwarden help report)

${storeOptions}

Exit codes: 0 ok, 1 the store failed, 2 bad usage, unknown store, missing file or invalid config.
`,
  status: `Usage: tokenwarden status --store URL --config FILE [options]

A table of every limit in its current period: scope, id, period, used / limit, a progress bar and when
it resets. Without --config the usage the store keeps per limit is listed (no caps, so no bars).

${storeOptions}
`,
  top: `Usage: tokenwarden top --store URL [--by agent|user|model] [--sort tokens|cost|requests] [options]

Top spenders of all usage ever recorded, most first; the bar shows each one's share of what they
are sorted by.

Options:
  --by SCOPE        agent, user, model (or another tracked scope)  (default: every tracked scope)
  --sort WHAT       tokens, cost or requests                      (default: tokens)
  --limit N         how many spenders per scope                   (default: 10)

${storeOptions}
`,
  report: `Usage: tokenwarden report --store URL [--json] [--html FILE] [options]

The report of budget.report(): limits in their current period, top spenders and totals.

Options:
  --json            print the report as JSON on stdout (limits, top, totals, burnDowns)
  --html FILE       write a self-contained HTML page (no network): bars per scope, a burn-down
                    chart per limit with a period, top spenders
  --top N           spenders per scope                            (default: 10)
  --title TEXT      title of the HTML page                        (default: tokenwarden report)

${storeOptions}
`,
  grant: `Usage: tokenwarden grant SCOPE [ID] --store URL --config FILE --tokens N [options]

Raises the limits of one scope value (e.g. thread t-1, or global) for their current period, as
budget.grant() does: the store records it, every process sharing the store sees it at once, and it
ends with the period. Prints the raised limits.

Options:
  --tokens N          more tokens (also --input-tokens, --output-tokens)
  --cost-usd X        more USD
  --requests N        more requests
  --limit-name NAME   raise only this limit (default: every limit on SCOPE)
  --grant-id ID       idempotency key: a grant with an id already applied adds nothing

${storeOptions}
`,
}
