// What the demo prints: one line per model call with the budget bars, each threshold crossing, each
// budget warning as the model read it (taken from the request the server received), graceful stops and
// the final report. Colours only on a terminal (node:util styleText checks the stream and NO_COLOR).
import { styleText } from 'node:util'
import {
  type Budget,
  type BudgetContext,
  type BudgetEvents,
  type BudgetWarning,
  formatAmount,
  formatQuantity,
  formatStatus,
  type Tally,
} from '@tokenwarden/core'

/**
 * A request as sent to the model: `server.requests` offline, the recorded bodies online.
 *
 * @example
 * const sent: readonly SentRequest[] = server.requests
 */
export interface SentRequest {
  body: any
}

type Style = Parameters<typeof styleText>[0]

/**
 * Printing helpers bound to one budget and the list of requests the model received.
 *
 * @example
 * const view = teamConsole({ budget, requests: server.requests })
 * await view.call('planner', ctx, 'plan')
 */
export function teamConsole({ budget, requests }: { budget: Budget; requests: readonly SentRequest[] }) {
  const paint = (style: Style, text: string) => styleText(style, text)
  const lastCall = new Map<string, BudgetEvents['settled']>()
  const crossings: BudgetWarning[] = []
  let seen = 0
  budget.on('settled', (event) => lastCall.set(event.context.agent ?? '', event))
  budget.on('warning', (warning) => crossings.push(warning))

  /** Budget warnings the model read in the requests sent since the last call line. */
  const printModelReads = (agent: string) => {
    for (const request of requests.slice(seen)) {
      for (const line of budgetLines(request.body)) {
        console.log(`${pad(agent)} ${paint('yellow', `↳ the model reads: ${line}`)}`)
      }
    }
    seen = requests.length
  }

  return {
    header(text: string) {
      console.log(`\n${paint('bold', text)}`)
    },
    line(text: string) {
      console.log(text)
    },
    /**
     * After a model call: what the model read, the call's usage, the bars and any crossing. With
     * `requestedMax`, also says when the adapter clamped the output maximum the request carried.
     */
    async call(agent: string, context: BudgetContext, label: string, requestedMax?: number) {
      printModelReads(agent)
      const body = requests.at(-1)?.body
      const sentMax = body?.max_completion_tokens ?? body?.max_tokens
      const usage = lastCall.get(agent)?.usage
      lastCall.delete(agent)
      const cost = usage ? usd(usage.costUsd) : ''
      const tokens = usage
        ? `${formatAmount(usage.tokens, 'tokens')} tok${usage.cachedInputTokens ? ` (${formatAmount(usage.cachedInputTokens, 'tokens')} cached)` : ''}`
        : ''
      console.log(`${pad(agent)} ${clip(label, 46).padEnd(46)} ${tokens.padStart(22)} ${cost.padStart(8)}`)
      if (requestedMax !== undefined && typeof sentMax === 'number' && sentMax < requestedMax) {
        console.log(
          `${pad('')} ${paint('yellow', `✂ output maximum clamped ${requestedMax} → ${sentMax} tokens: what the budget can still afford`)}`,
        )
      }
      const statuses = await budget.status({ ...context, agent })
      const bars = statuses
        .filter((status) => status.scope !== 'global')
        .map((status) => `${status.scope} ${formatStatus(status)}`)
      console.log(`${pad('')} ${paint('dim', bars.join('  '))}`)
      for (const warning of crossings.splice(0)) {
        console.log(
          `${pad('')} ${paint('yellow', `⚠ ${warning.scope} "${warning.scopeId}" crossed ${Math.round(warning.threshold * 100)}% (${warning.severity}): the next call will carry a warning`)}`,
        )
      }
    },
    /** A graceful stop: the adapter did not call the model. */
    stop(agent: string, how: string, text: string) {
      printModelReads(agent)
      console.log(`${pad(agent)} ${paint(['red', 'bold'], `■ ${how}`)}`)
      console.log(`${pad('')} ${paint('red', `“${text}”`)}`)
    },
    /** The final report: limits, spend by agent, user and model, totals. */
    async report(serverTotals?: { inputTokens: number; outputTokens: number; requests: number }) {
      const report = await budget.report()
      console.log(`\n${paint('bold', 'Report (budget.report())')}`)
      for (const status of report.limits) {
        console.log(
          `  ${scopeLabel(status.scope, status.scopeId).padEnd(22)} ${(status.period === 'none' ? 'all time' : status.period).padEnd(8)} ${formatStatus(status)}`,
        )
      }
      console.log(
        paint(
          'dim',
          `  ${'by'.padEnd(22)} ${'tokens'.padStart(7)} ${'cached'.padStart(7)} ${'cost'.padStart(8)}  calls`,
        ),
      )
      for (const [scope, spenders] of Object.entries(report.top)) {
        for (const spender of spenders)
          console.log(`  ${`${scope} ${spender.id}`.padEnd(22)} ${tallyColumns(spender.usage)}`)
      }
      const { totals } = report
      console.log(`  ${'total'.padEnd(22)} ${tallyColumns(totals)}`)
      console.log(
        `  ${formatAmount(totals.reasoningTokens, 'tokens')} reasoning tokens, ${totals.estimatedRequests} estimated calls, ${totals.unpricedRequests} unpriced`,
      )
      if (serverTotals !== undefined) {
        const reported = serverTotals.inputTokens + serverTotals.outputTokens
        const same = reported === totals.tokens && serverTotals.requests === totals.requests
        console.log(
          `  the server reported ${formatAmount(reported, 'tokens')} tokens in ${formatQuantity(serverTotals.requests, 'requests')}: ${same ? 'every token counted' : 'MISMATCH'}`,
        )
      }
    },
  }
}

function tallyColumns(usage: Tally): string {
  return `${formatAmount(usage.tokens, 'tokens').padStart(7)} ${formatAmount(usage.cachedInputTokens, 'tokens').padStart(7)} ${usd(usage.costUsd).padStart(8)}  ${usage.requests}`
}

/** The budget warning lines in a chat request (system, developer or any message). */
function budgetLines(body: any): string[] {
  const lines: string[] = []
  for (const message of body?.messages ?? []) {
    const content =
      typeof message.content === 'string'
        ? message.content
        : Array.isArray(message.content)
          ? message.content.map((part: { text?: string }) => part.text ?? '').join('\n')
          : ''
    for (const line of content.split('\n')) if (line.startsWith('[Budget ')) lines.push(line)
  }
  return lines
}

const pad = (agent: string) => agent.padEnd(10)

/** USD by the core's one rule (the demo's calls cost fractions of a cent: four decimals). */
const usd = (value: number) => formatAmount(value, 'costUsd')

const scopeLabel = (scope: string, id: string) => (scope === id ? scope : `${scope} ${id}`)

function clip(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length <= width ? flat : `${flat.slice(0, width - 1)}…`
}
