/**
 * The capped research agent, offline: five research tasks against a 100,000-token session budget.
 *
 * A scripted model stands in for a real one (no network, no API key). Every call goes through the
 * tokenwarden lifecycle an adapter would run: take the pending warnings and show them to the model,
 * reserve, call, settle. The budget warns at 75 %, 90 % and 95 %, then refuses the call that would
 * overspend, and the run ends with a health report.
 *
 * Run: node examples/capped-research-agent/index.ts
 */
import {
  BudgetExceededError,
  createBudget,
  formatAmount,
  formatQuantity,
  formatStatus,
  type LimitStatus,
} from '@tokenwarden/core'

const model = 'gpt-4o'
const budget = createBudget({
  limits: [
    { scope: 'thread', tokens: 100_000 }, // the session budget
    { scope: 'agent', id: 'researcher', costUsd: 5, period: 'day' },
    { scope: 'global', requests: 10_000, period: 'month' },
  ],
  // per-model prices (USD per million tokens); in production pass genaiPrices() from @tokenwarden/prices
  prices: {
    models: { [model]: { inputPerMillion: 2.5, outputPerMillion: 10, cachedInputPerMillion: 1.25 } },
  },
})
const session = { agent: 'researcher', thread: 'session-1', user: 'u-42' }

/** What the scripted model uses on each step of each task: [input, output, cached input] tokens. */
const tasks: { title: string; steps: [number, number, number][] }[] = [
  {
    title: 'Survey recent work on LLM cost control',
    steps: [
      [4_200, 900, 0],
      [6_100, 1_300, 2_000],
      [7_400, 1_600, 4_000],
    ],
  },
  {
    title: 'Extract the key findings of six papers',
    steps: [
      [8_800, 1_900, 4_000],
      [9_600, 2_200, 6_000],
    ],
  },
  {
    title: 'Compare reservation strategies',
    steps: [
      [11_200, 2_600, 8_000],
      [12_900, 2_400, 8_000],
    ],
  },
  {
    title: 'Draft the report',
    steps: [
      [10_400, 1_900, 8_000],
      [4_100, 700, 2_000],
    ],
  },
  {
    title: 'Review and add citations',
    steps: [
      [4_600, 700, 2_000],
      [4_100, 600, 2_000],
      [4_300, 800, 2_000],
    ],
  },
]

const line = (text = '') => console.log(text)
const threadStatus = async (): Promise<LimitStatus> =>
  (await budget.status(session)).find((s) => s.scope === 'thread')!

line('tokenwarden · capped research agent (offline, scripted model)')
line(`session budget: ${formatStatus(await threadStatus())}`)

let stopped: BudgetExceededError | undefined
run: for (const [index, task] of tasks.entries()) {
  line()
  line(`Task ${index + 1}/${tasks.length}: ${task.title}`)
  for (const [step, [inputTokens, outputTokens, cachedInputTokens]] of task.steps.entries()) {
    // 1. what the model is told before this call, once per crossing
    for (const warning of budget.takeWarnings(session, { model }))
      line(`   → model reads: ${warning.message}`)
    // 2. reserve the estimated input and the call's maximum output, or stop
    let reservation: Awaited<ReturnType<typeof budget.reserve>>
    try {
      reservation = await budget.reserve(session, { model, inputTokens, maxOutputTokens: 4_096 })
    } catch (error) {
      if (!BudgetExceededError.isInstance(error)) throw error
      stopped = error
      break run
    }
    // 3. the (scripted) model call, then settle with the usage it reported
    const { costUsd, warnings } = await reservation.settle({ inputTokens, outputTokens, cachedInputTokens })
    const status = await threadStatus()
    line(
      `   step ${step + 1}: ${formatAmount(inputTokens + outputTokens, 'tokens').padStart(6)} tokens ${formatAmount(costUsd, 'costUsd').padStart(7)}  ${formatStatus(status)}`,
    )
    for (const w of warnings)
      line(`   ⚠ ${w.severity} threshold ${w.threshold * 100}% crossed on ${w.scope} "${w.scopeId}"`)
  }
}

line()
if (stopped) {
  line(`■ Stopped before the call that would overspend: BudgetExceededError`)
  const { scope, scopeId, unit, limit, used, reserved, requested, remaining, period } = stopped
  line(`   ${JSON.stringify({ scope, scopeId, unit, limit, used, reserved, requested, remaining, period })}`)
  line(`   ${stopped.message}`)
} else {
  line('■ All tasks finished within the budget')
}

const report = await budget.report()
line()
line('Health report')
for (const status of report.limits) {
  line(
    `   ${(status.scope === 'global' ? 'global' : `${status.scope} ${status.scopeId}`).padEnd(22)} ${(status.period === 'none' ? 'all time' : status.period).padEnd(8)} ${formatStatus(status)}`,
  )
}
for (const [scope, spenders] of Object.entries(report.top)) {
  for (const spender of spenders) {
    line(
      `   top ${scope.padEnd(6)} ${spender.id.padEnd(12)} ${formatAmount(spender.usage.tokens, 'tokens').padStart(8)} tokens  ${formatAmount(spender.usage.costUsd, 'costUsd')}  ${formatQuantity(spender.usage.requests, 'requests')}`,
    )
  }
}
const { totals } = report
line(
  `   total: ${formatAmount(totals.tokens, 'tokens')} tokens (${formatAmount(totals.cachedInputTokens, 'tokens')} cached input), ${formatAmount(totals.costUsd, 'costUsd')}, ${formatQuantity(totals.requests, 'requests')}`,
)
