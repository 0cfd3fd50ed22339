// A coordinator agent delegating to two sub-agents, each with a child budget carved from the
// coordinator's own, enforced by the Vercel AI SDK adapter. Offline: MockLanguageModelV4 plays the model.
// Run with `node index.ts` (Node 24) after building @tokenwarden/core and @tokenwarden/ai-sdk.
import { budgetExceededFinishReason, budgetMiddleware } from '@tokenwarden/ai-sdk'
import {
  type Budget,
  BudgetExceededError,
  ContextScheduler,
  createBudget,
  formatAmount,
  formatQuantity,
  formatStatus,
} from '@tokenwarden/core'
import { generateText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'

/** A scripted model: every call answers `text` with `output` tokens (at most the call's maximum). */
function scriptedModel(text: string, input: number, maxOutput: number) {
  return new MockLanguageModelV4({
    modelId: 'gpt-4o',
    doGenerate: async (options) => {
      const output = Math.min(maxOutput, options.maxOutputTokens ?? maxOutput)
      return {
        content: [{ type: 'text', text }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: {
          inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: output, text: output, reasoning: undefined },
        },
        warnings: [],
      }
    },
  })
}

/** The same adapter for every agent: only the budget differs. */
function budgeted(budget: Budget, model: MockLanguageModelV4, context: Record<string, string>) {
  return wrapLanguageModel({
    model,
    middleware: budgetMiddleware({ budget, context, clamp: true, onExceeded: 'finish' }),
  })
}

const mission = { agent: 'coordinator', thread: 'mission-1' }
const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
const show = async (label: string) => {
  const [status] = await budget.status(mission)
  console.log(`${label.padEnd(34)} ${formatStatus(status!)}  reserved ${status!.reserved}`)
}

// 1. The coordinator plans, on its own budget.
const coordinator = budgeted(budget, scriptedModel('Plan: research, then write.', 10, 200), mission)
await generateText({ model: coordinator, prompt: 'Plan the report.', maxOutputTokens: 300 })
await show('coordinator planned')

// 2. It hands each sub-agent a budget carved from what it has left; the parent shows them as reserved.
const researcherBudget = await budget.child(mission, { tokens: 3_000, name: 'researcher' })
const writerBudget = await budget.child(mission, { tokens: 2_000, name: 'writer' })
await show('two children carved (5,000 held)')

// A third child asking for more than is left is refused: children never get more than the parent has.
try {
  await budget.child(mission, { tokens: 6_000, name: 'reviewer' })
  throw new Error('the reviewer should have been refused')
} catch (error) {
  if (!BudgetExceededError.isInstance(error)) throw error
  console.log(
    `reviewer refused: ${formatQuantity(error.remaining, 'tokens')} left for a 6,000-token allotment`,
  )
}

// 3. The sub-agents run concurrently, each through the adapter with its child budget.
const researcherModel = scriptedModel('Found 3 sources.', 10, 600)
const writerModel = scriptedModel('Draft written.', 10, 300)
const researcher = budgeted(researcherBudget, researcherModel, { agent: 'researcher' })
const writer = budgeted(writerBudget, writerModel, { agent: 'writer' })

async function runResearcher() {
  for (let step = 1; step <= 10; step++) {
    const result = await generateText({
      model: researcher,
      prompt: `Search step ${step}.`,
      maxOutputTokens: 700,
    })
    if (result.rawFinishReason === budgetExceededFinishReason) {
      console.log(`researcher stopped by its child budget after ${formatQuantity(step - 1, 'requests')}`)
      return
    }
  }
}
async function runWriter() {
  await generateText({ model: writer, prompt: 'Write the draft.', maxOutputTokens: 400 })
  console.log('writer finished its draft')
}
await Promise.all([runResearcher(), runWriter()])
const warned = researcherModel.doGenerateCalls.filter((call) =>
  JSON.stringify(call.prompt).includes('sub-agent \\"researcher\\"'),
).length
console.log(`researcher saw its own budget warning in ${warned} call(s)`)

// 4. Ending a child charges the parent what it used and returns the rest.
const researched = await researcherBudget.end()
const written = await writerBudget.end()
console.log(`researcher used ${researched.usage.tokens}, writer used ${written.usage.tokens}`)
await show('children ended')

// 5. The same through a ContextScheduler: a window's budget is a child budget of the pool.
const scheduler = new ContextScheduler({ totalTokens: 20_000 })
scheduler.on('SIGWARN', (event) =>
  console.log(`SIGWARN  ${event.agentId} at ${Math.round(event.utilization * 100)}%`),
)
scheduler.on('SIGSTOP', (event) =>
  console.log(`SIGSTOP  ${event.agentId} halted at ${formatQuantity(event.used, 'tokens')}`),
)
scheduler.on('SIGRESUME', (event) =>
  console.log(`SIGRESUME ${event.agentId} has ${formatQuantity(event.remaining, 'tokens')} again`),
)
const window = await scheduler.allocate('summarizer', {
  task: 'summarize',
  priority: 'HIGH',
  maxTokens: 2_500,
})
console.log(
  `window: ${formatQuantity(window.total, 'tokens')} (${formatAmount(window.lookupBudget, 'tokens')} lookup / ${formatAmount(window.reasoningBudget, 'tokens')} reasoning)`,
)
const summarizer = budgeted(window.budget, scriptedModel('Summary.', 10, 900), {
  agent: 'summarizer',
})
for (const prompt of ['Part 1.', 'Part 2.', 'Part 3.'])
  await generateText({ model: summarizer, prompt, maxOutputTokens: 1_000 })
const refused = await generateText({ model: summarizer, prompt: 'Part 4.', maxOutputTokens: 1_000 })
console.log(`fourth call ended by the window: ${refused.rawFinishReason === budgetExceededFinishReason}`)
await scheduler.replenish('summarizer', 1_000)
const resumed = await generateText({ model: summarizer, prompt: 'Part 4.', maxOutputTokens: 1_000 })
console.log(`after SIGRESUME the agent runs again: ${resumed.text}`)
const { used, returned } = await scheduler.release('summarizer')
console.log(`released: used ${used}, returned ${returned}; pool available ${scheduler.availableTokens}`)
