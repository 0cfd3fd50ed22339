// A Vercel AI SDK agent on a token budget, offline: @ai-sdk/openai talks to a local scripted
// OpenAI-compatible server. Run with `node index.ts` (Node 24) after building @tokenwarden/ai-sdk.
import { createOpenAI } from '@ai-sdk/openai'
import { budgetExceededFinishReason, budgetMiddleware } from '@tokenwarden/ai-sdk'
import {
  BudgetExceededError,
  createBudget,
  formatAmount,
  formatQuantity,
  formatStatus,
} from '@tokenwarden/core'
import { startOpenAITestServer } from '@tokenwarden/openai-test-server'
import { generateText, stepCountIs, streamText, ToolLoopAgent, tool, wrapLanguageModel } from 'ai'
import { z } from 'zod'

const server = await startOpenAITestServer()
const openai = createOpenAI({ apiKey: process.env.OPENAI_API_KEY ?? 'offline', baseURL: server.url })

const budget = createBudget({
  limits: [
    { scope: 'thread', tokens: 2_000 },
    { scope: 'agent', id: 'researcher', costUsd: 1, period: 'day' },
  ],
  prices: { models: { 'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 } } },
})
budget.on('warning', (warning) =>
  console.log(`warning  ${warning.scope} ${warning.scopeId}: ${warning.message}`),
)
budget.on('exceeded', (event) =>
  console.log(`exceeded ${event.scope} ${event.scopeId} (blocked: ${event.blocked})`),
)

// Wrap the model once: every generateText, streamText and agent step is budgeted.
const model = wrapLanguageModel({
  model: openai.chat('gpt-4o'),
  middleware: budgetMiddleware({
    budget,
    context: { agent: 'researcher' },
    defaultMaxOutputTokens: 300, // reserved (and sent as maxOutputTokens) when a call sets none
    onExceeded: 'finish',
  }),
})

// 1. A tool loop until the thread budget runs out: the model sees the warning once, in the step after
//    the crossing, and the loop ends with an explanatory text instead of an error.
server.respondWith(() => ({
  toolCalls: [{ name: 'search', arguments: '{"query":"token budgets"}' }],
  usage: { inputTokens: 210, outputTokens: 40, cachedTokens: 128 },
}))
const agent = new ToolLoopAgent({
  model,
  instructions: 'You are a careful researcher.',
  maxOutputTokens: 100,
  stopWhen: stepCountIs(20),
  providerOptions: { tokenwarden: { thread: 'thread-1' } }, // the conversation this agent runs in
  tools: {
    search: tool({
      description: 'Searches papers.',
      inputSchema: z.object({ query: z.string() }),
      execute: async ({ query }) => `3 papers about ${query}`,
    }),
  },
})
const result = await agent.generate({ prompt: 'Survey token budgets for agents.' })
const warned = server.requests.filter((request) =>
  JSON.stringify(request.body.messages).includes('[Budget warning]'),
).length
console.log(
  `\nagent made ${formatQuantity(server.requests.length, 'requests')} in ${result.steps.length} steps; ${warned} carried the warning`,
)
console.log(`ended by the budget: ${result.rawFinishReason === budgetExceededFinishReason}`)
console.log(`last text: ${result.text}\n`)
for (const status of await budget.status({ agent: 'researcher', thread: 'thread-1' }, { model: 'gpt-4o' }))
  console.log(`${status.scope.padEnd(7)} ${formatStatus(status)}`)

// 2. streamText on another thread: usage (cached tokens included) is settled from the final stream part.
server.reset()
server.respondWith(() => ({
  text: 'Budgets cap tokens and dollars per scope.',
  usage: { inputTokens: 180, outputTokens: 9, cachedTokens: 128 },
}))
const stream = streamText({
  model,
  prompt: 'One sentence on budgets.',
  providerOptions: { tokenwarden: { thread: 'thread-2' } },
})
console.log(`\nstreamed: ${await stream.text}`)

// 3. A stream the caller aborts is settled from what it produced; nothing stays reserved.
server.respondWith(() => ({
  text: 'a long answer '.repeat(40),
  delayMs: 5,
  usage: { inputTokens: 50, outputTokens: 120 },
}))
const controller = new AbortController()
const aborted = streamText({
  model,
  prompt: 'Write at length.',
  abortSignal: controller.signal,
  providerOptions: { tokenwarden: { thread: 'thread-3' } },
  onError: () => {},
})
let chunks = 0
try {
  for await (const _ of aborted.textStream) if (++chunks === 5) controller.abort()
} catch {
  // the abort surfaces as an error in some versions; the budget is settled either way
}
await new Promise((resolve) => setTimeout(resolve, 20))
const [thread3] = await budget.status({ thread: 'thread-3' })
console.log(
  `aborted after ${chunks} chunks: thread-3 used ${formatQuantity(thread3?.used ?? 0, 'tokens')} (estimated), reserved ${formatAmount(thread3?.reserved ?? 0, 'tokens')}`,
)

// 4. The default, onExceeded: 'throw': a call the budget cannot afford throws before any request is sent.
const strict = wrapLanguageModel({ model: openai.chat('gpt-4o'), middleware: budgetMiddleware({ budget }) })
server.reset()
try {
  await generateText({
    model: strict,
    prompt: 'More?',
    providerOptions: { tokenwarden: { thread: 'thread-1' } },
  })
} catch (error) {
  if (!BudgetExceededError.isInstance(error)) throw error
  console.log(`\nrefused before any request (${server.requests.length} sent): ${error.message}`)
}

await server.close()
