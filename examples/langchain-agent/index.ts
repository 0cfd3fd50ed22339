// A LangChain agent on a token budget, offline: ChatOpenAI talks to a local scripted OpenAI-compatible
// server. Run with `node index.ts` (Node 24) after building @tokenwarden/langchain.
import { HumanMessage } from '@langchain/core/messages'
import { ChatOpenAI } from '@langchain/openai'
import { BudgetExceededError, createBudget, formatQuantity, formatStatus } from '@tokenwarden/core'
import { agentBudgetMiddleware, BudgetCallbackHandler, formatExceededMessage } from '@tokenwarden/langchain'
import { startOpenAITestServer } from '@tokenwarden/openai-test-server'
import { createAgent, tool } from 'langchain'
import { z } from 'zod'

const server = await startOpenAITestServer()
const model = new ChatOpenAI({
  model: 'gpt-4o',
  apiKey: process.env.OPENAI_API_KEY ?? 'offline',
  configuration: { baseURL: server.url },
  maxTokens: 300,
})

const budget = createBudget({
  limits: [
    { scope: 'thread', tokens: 3_000 },
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

const search = tool(async ({ query }: { query: string }) => `3 papers about ${query}`, {
  name: 'search',
  description: 'Searches papers.',
  schema: z.object({ query: z.string() }),
})

// 1. createAgent + agentBudgetMiddleware: the agent loops on tool calls until the thread budget runs out,
//    sees the warning once in its system message, then ends with an explanatory message.
server.respondWith(() => ({
  toolCalls: [{ name: 'search', arguments: '{"query":"token budgets"}' }],
  usage: { inputTokens: 420, outputTokens: 60, cachedTokens: 256 },
}))
const agent = createAgent({
  model,
  tools: [search],
  systemPrompt: 'You are a careful researcher.',
  middleware: [
    agentBudgetMiddleware({
      budget,
      context: { agent: 'researcher' },
      onExceeded: 'finish', // end the run with an AI message instead of throwing
      exceededText: formatExceededMessage,
    }),
  ],
})
const result = await agent.invoke(
  { messages: [new HumanMessage('Survey token budgets for agents.')] },
  { configurable: { thread_id: 'thread-1' } },
)
const warned = server.requests.filter((request) =>
  JSON.stringify(request.body.messages).includes('[Budget warning]'),
).length
console.log(
  `\nagent made ${formatQuantity(server.requests.length, 'requests')}; ${warned} carried the warning`,
)
console.log(`last message: ${result.messages.at(-1)?.text}\n`)
for (const status of await budget.status({ agent: 'researcher', thread: 'thread-1' }, { model: 'gpt-4o' }))
  console.log(`${status.scope.padEnd(7)} ${formatStatus(status)}`)

// 2. BudgetCallbackHandler on a plain model call: blocks before any request is sent.
server.reset()
const handler = new BudgetCallbackHandler({ budget, context: { agent: 'researcher' } })
try {
  await model.invoke('One more question?', {
    callbacks: [handler],
    metadata: { tokenwarden: { thread: 'thread-1' } },
  })
} catch (error) {
  if (!BudgetExceededError.isInstance(error)) throw error
  console.log(
    `\nhandler refused the call (${formatQuantity(server.requests.length, 'requests')} sent): ${error.message}`,
  )
}

// 3. A new thread has its own thread budget.
server.respondWith(() => ({
  text: 'Token budgets cap spend per thread.',
  usage: { inputTokens: 60, outputTokens: 9 },
}))
const fresh = await model.invoke('Summarise token budgets.', {
  callbacks: [handler],
  metadata: { tokenwarden: { thread: 'thread-2' } },
})
console.log(`thread-2 answered: ${fresh.text}`)

await server.close()
