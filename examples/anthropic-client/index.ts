// The Anthropic client on a budget, offline: the real `@anthropic-ai/sdk` client talks to the Anthropic
// Messages API routes of the local scripted server from @tokenwarden/openai-test-server. To use
// Anthropic itself, drop `baseURL` and `apiKey` below and set ANTHROPIC_API_KEY.
import Anthropic from '@anthropic-ai/sdk'
import { withBudget } from '@tokenwarden/anthropic'
import {
  BudgetExceededError,
  createBudget,
  formatAmount,
  formatQuantity,
  formatStatus,
} from '@tokenwarden/core'
import { startOpenAITestServer } from '@tokenwarden/openai-test-server'

const server = await startOpenAITestServer()
// Input ≈ the request's size / 4, of which the system prompt (10 tokens) is read from the cache.
server.respondWith((request) => ({
  text: 'One more finding about token budgets, and what to check next in the sources.',
  usage: { inputTokens: Math.ceil(request.rawBody.length / 4), outputTokens: 40, cachedTokens: 10 },
}))

const model = 'claude-haiku-4-5'
const budget = createBudget({
  limits: [
    { scope: 'thread', tokens: 3_000, thresholds: [0.5, 0.8] },
    { scope: 'agent', id: 'researcher', costUsd: 1, period: 'day' },
  ],
  prices: {
    models: {
      [model]: {
        inputPerMillion: 1,
        outputPerMillion: 5,
        cachedInputPerMillion: 0.1,
        cacheWriteInputPerMillion: 1.25,
      },
    },
  },
})

// Unchanged Anthropic code, one line to budget it: the same client, still an `Anthropic`.
const client = withBudget(new Anthropic({ apiKey: 'offline', baseURL: server.origin }), {
  budget,
  context: { agent: 'researcher' },
})

try {
  // 1. A research loop on one thread until the budget refuses the next turn. The system prompt is cached
  //    (a cache_control breakpoint); a budget warning is added after it, the breakpoint kept in place.
  const thread = client.withContext({ thread: 'research-1' })
  const system: Anthropic.TextBlockParam[] = [
    { type: 'text', text: 'You are a careful research assistant.', cache_control: { type: 'ephemeral' } },
  ]
  const messages: Anthropic.MessageParam[] = [
    { role: 'user', content: 'Collect findings about token budgets for LLM agents.' },
  ]
  for (let turn = 1; turn <= 20; turn++) {
    try {
      const message = await thread.messages.create({ model, max_tokens: 60, system, messages })
      messages.push({ role: 'assistant', content: message.content }, { role: 'user', content: 'Go on.' })
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
  const warned = server.requests.filter((request) => request.rawBody.includes('[Budget warning]'))
  console.log(`the model saw a budget warning in ${warned.length} request(s), e.g.:`)
  const blocks = warned[0]?.body.system as { text: string; cache_control?: unknown }[]
  console.log(`  system[0] cached: ${blocks[0]?.cache_control !== undefined}; system[1]: ${blocks[1]?.text}`)

  // 2. messages.stream() on another thread: input and cache usage from message_start, output from the
  //    cumulative message_delta.
  server.enqueue({
    text: 'Streams are settled from message_start and message_delta.',
    usage: { inputTokens: 300, outputTokens: 9, cachedTokens: 200, cacheWriteTokens: 50 },
  })
  const streamed = client.withContext({ thread: 'stream-1' }).messages.stream({
    model,
    max_tokens: 100,
    messages: [{ role: 'user', content: 'How are streams counted?' }],
  })
  const final = await streamed.finalMessage()
  const [stream1] = await budget.status({ agent: 'researcher', thread: 'stream-1' })
  console.log(
    `streamed: ${final.content[0]?.type === 'text' ? final.content[0].text : ''} ${formatStatus(stream1!)}`,
  )

  // 3. A stream left early is settled from what arrived, marked estimated; nothing stays reserved.
  server.enqueue({ text: 'one two three four five six seven eight', delayMs: 10 })
  let estimated = false
  budget.on('settled', (event) => {
    estimated = event.estimated
  })
  const early = await client.withContext({ thread: 'stream-2' }).messages.create({
    model,
    max_tokens: 100,
    messages: [{ role: 'user', content: 'Count to eight.' }],
    stream: true,
  })
  for await (const event of early) if (event.type === 'content_block_delta') break
  const [left] = await budget.status({ agent: 'researcher', thread: 'stream-2' })
  console.log(
    `stream-2 used ${formatQuantity(left!.used, 'tokens')} (${estimated ? 'estimated' : 'reported'}), reserved ${formatAmount(left!.reserved, 'tokens')}`,
  )

  const report = await budget.report()
  console.log(`researcher spent ${formatAmount(report.top.agent?.[0]?.usage.costUsd ?? 0, 'costUsd')} today`)
} finally {
  await server.close()
}
