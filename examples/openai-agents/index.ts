// An OpenAI Agents SDK run on a budget, offline: the SDK's own OpenAIProvider talks to the local scripted
// OpenAI-compatible server from @tokenwarden/openai-test-server. To use OpenAI itself, drop `baseURL` and
// `apiKey` below and set OPENAI_API_KEY.
import { Agent, OpenAIProvider, Runner, tool } from '@openai/agents'
import { BudgetExceededError, createBudget, formatStatus } from '@tokenwarden/core'
import { budgetModelProvider, withBudgetContext } from '@tokenwarden/openai-agents'
import { startOpenAITestServer } from '@tokenwarden/openai-test-server'
import OpenAI from 'openai'
import { z } from 'zod'

const server = await startOpenAITestServer()
const budget = createBudget({
  limits: [
    { scope: 'thread', tokens: 3_000, thresholds: [0.3] },
    { scope: 'agent', id: 'writer', tokens: 50_000, period: 'day' },
  ],
})

// One line budgets every model call of the runner's runs: handoffs and tools work as before.
const provider = new OpenAIProvider({ openAIClient: new OpenAI({ apiKey: 'offline', baseURL: server.url }) })
const runner = new Runner({
  modelProvider: budgetModelProvider(provider, { budget, defaultMaxOutputTokens: 200 }),
  tracingDisabled: true,
})

const lookup = tool({
  name: 'lookup',
  description: 'Look a fact up.',
  parameters: z.object({ query: z.string() }),
  execute: async ({ query }) => `The moon's gravity pulls the oceans (${query}).`,
})
const writer = new Agent({ name: 'writer', instructions: 'Write a short answer.', model: 'gpt-4o' })
const researcher = new Agent({
  name: 'researcher',
  instructions: 'Research with lookup, then hand off to the writer.',
  model: 'gpt-4o',
  tools: [lookup],
  handoffs: [writer],
})

try {
  // 1. A run with a tool call and a handoff: each call is budgeted under the agent that made it.
  server.enqueue(
    {
      toolCalls: [{ name: 'lookup', arguments: '{"query":"tides"}' }],
      usage: { inputTokens: 400, outputTokens: 20 },
    },
    {
      toolCalls: [{ name: 'transfer_to_writer', arguments: '{}' }],
      usage: { inputTokens: 520, outputTokens: 10 },
    },
    { text: 'Tides follow the moon.', usage: { inputTokens: 610, outputTokens: 8 } },
  )
  const first = await withBudgetContext({ thread: 'tides-1' }, () =>
    runner.run(researcher, 'Why are there tides?'),
  )
  console.log(`answer: ${first.finalOutput}`)
  for (const { id, usage } of (await budget.report()).top.agent ?? [])
    console.log(`${id}: ${usage.inputTokens + usage.outputTokens} tokens in ${usage.requests} call(s)`)
  const warned = server.requests.filter((request) =>
    String(request.body.instructions).includes('[Budget warning]'),
  )
  console.log(`the model saw a budget warning in ${warned.length} request(s)`)

  // 2. A streamed run on the same thread: metered per delta, settled from the final usage.
  server.enqueue({ text: 'The moon and, less, the sun.', usage: { inputTokens: 1400, outputTokens: 9 } })
  const streamed = await withBudgetContext({ thread: 'tides-1' }, () =>
    runner.run(writer, 'And what else?', { stream: true }),
  )
  let text = ''
  for await (const delta of streamed.toTextStream()) text += delta
  await streamed.completed
  const [afterStream] = await budget.status({ thread: 'tides-1' })
  console.log(`streamed: ${text} ${formatStatus(afterStream!)}`)

  // 3. The next call does not fit: nothing is sent and run() rejects with the BudgetExceededError.
  const sent = server.requests.length
  try {
    await withBudgetContext({ thread: 'tides-1' }, () => runner.run(writer, 'Tell me more.'))
  } catch (error) {
    if (!BudgetExceededError.isInstance(error)) throw error
    console.log(`refused (${server.requests.length - sent} requests sent): ${error.message}`)
  }

  // 4. With onExceeded: 'finish' the run ends gracefully with your text instead.
  const graceful = new Runner({
    modelProvider: budgetModelProvider(provider, {
      budget,
      defaultMaxOutputTokens: 200,
      onExceeded: 'finish',
      exceededText: () => 'I have to stop here: this conversation is out of budget.',
    }),
    tracingDisabled: true,
  })
  const last = await withBudgetContext({ thread: 'tides-1' }, () => graceful.run(writer, 'Tell me more.'))
  console.log(`finished: ${last.finalOutput}`)
} finally {
  await server.close()
}
