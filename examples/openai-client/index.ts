// The drop-in OpenAI client on a budget, offline: the real `openai` client talks to the local scripted
// OpenAI-compatible server from @tokenwarden/openai-test-server. To use OpenAI itself, drop `baseURL`
// and `apiKey` below and set OPENAI_API_KEY.
import {
  BudgetExceededError,
  createBudget,
  formatAmount,
  formatQuantity,
  formatStatus,
} from '@tokenwarden/core'
import { withBudget } from '@tokenwarden/openai'
import { startOpenAITestServer } from '@tokenwarden/openai-test-server'
import OpenAI from 'openai'

const server = await startOpenAITestServer()
server.respondWith(() => ({
  text: 'Here is one more finding about token budgets, with a short note on what to check next in the sources.',
}))

const budget = createBudget({
  limits: [
    { scope: 'thread', tokens: 2_000, thresholds: [0.5, 0.8] },
    { scope: 'agent', id: 'researcher', costUsd: 1, period: 'day' },
  ],
  prices: {
    models: { 'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10, cachedInputPerMillion: 1.25 } },
  },
})

// Unchanged openai code, one line to budget it: the type stays `OpenAI`.
const client = withBudget(new OpenAI({ apiKey: 'offline', baseURL: server.url }), {
  budget,
  context: { agent: 'researcher' },
})

try {
  // 1. A research loop on one thread until the budget refuses the next turn.
  const thread = client.withContext({ thread: 'research-1' })
  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You are a careful research assistant.' },
    { role: 'user', content: 'Collect findings about token budgets for LLM agents.' },
  ]
  for (let turn = 1; turn <= 20; turn++) {
    try {
      const completion = await thread.chat.completions.create({
        model: 'gpt-4o',
        messages,
        max_completion_tokens: 60,
      })
      messages.push(completion.choices[0]!.message, { role: 'user', content: 'Go on.' })
      const [tokens] = await budget.status({ agent: 'researcher', thread: 'research-1' })
      console.log(`turn ${turn}: ${formatStatus(tokens!)}`)
    } catch (error) {
      if (!BudgetExceededError.isInstance(error)) throw error
      const sent = server.requests.length
      console.log(
        `turn ${turn} refused before any request (${sent} sent in ${turn - 1} turns): ${error.message}`,
      )
      break
    }
  }
  const warned = server.requests.filter((request) =>
    JSON.stringify(request.body).includes('[Budget warning]'),
  )
  console.log(`the model saw a budget warning in ${warned.length} request(s), e.g.:`)
  const shown = warned[0]?.body.messages.find((message: { content: string }) =>
    message.content.startsWith('[Budget'),
  )
  console.log(`  ${shown?.role}: ${shown?.content}`)

  // 2. Streaming responses on another thread: usage (cached tokens apart) settles from response.completed.
  server.enqueue({
    text: 'Streams are settled from the usage event.',
    usage: { inputTokens: 300, outputTokens: 9, cachedTokens: 200 },
  })
  const stream = await client.withContext({ thread: 'stream-1' }).responses.create({
    model: 'gpt-4o',
    input: 'How are streams counted?',
    max_output_tokens: 100,
    stream: true,
  })
  let text = ''
  for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta
  const [streamed] = await budget.status({ agent: 'researcher', thread: 'stream-1' })
  console.log(`streamed: ${text} ${formatStatus(streamed!)}`)

  // 3. A chat stream left early is settled from what arrived, marked estimated; nothing stays reserved.
  server.enqueue({ text: 'one two three four five six seven eight', delayMs: 10 })
  let estimated = false
  budget.on('settled', (event) => {
    estimated = event.estimated
  })
  const early = await client.withContext({ thread: 'stream-2' }).chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'Count to eight.' }],
    max_completion_tokens: 100,
    stream: true,
  })
  for await (const chunk of early) if (chunk.choices[0]?.delta.content) break
  const [left] = await budget.status({ agent: 'researcher', thread: 'stream-2' })
  console.log(
    `stream-2 used ${formatQuantity(left!.used, 'tokens')} (${estimated ? 'estimated' : 'reported'}), reserved ${formatAmount(left!.reserved, 'tokens')}`,
  )

  const report = await budget.report()
  console.log(`researcher spent ${formatAmount(report.top.agent?.[0]?.usage.costUsd ?? 0, 'costUsd')} today`)
} finally {
  await server.close()
}
