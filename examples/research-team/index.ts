/**
 * tokenwarden · the research team: four agents on four frameworks sharing ONE budget.
 *
 *   planner     Vercel AI SDK   (@ai-sdk/openai + budgetMiddleware from @tokenwarden/ai-sdk)
 *   researcher  LangChain agent (createAgent + ChatOpenAI + agentBudgetMiddleware from @tokenwarden/langchain)
 *   writer      openai client   (withBudget from @tokenwarden/openai)
 *   editor      Anthropic client (withBudget from @tokenwarden/anthropic)
 *
 * Offline by default: a scripted model answers on a local OpenAI- and Anthropic-compatible server (no key,
 * no network). With OPENAI_API_KEY set, the same code talks to the real API (OPENAI_BASE_URL if set); the
 * editor then needs ANTHROPIC_API_KEY too.
 *
 * Run: pnpm demo   (or node --conditions=@tokenwarden/source examples/research-team/index.ts; no build needed)
 */
import { createOpenAI } from '@ai-sdk/openai'
import Anthropic from '@anthropic-ai/sdk'
import { HumanMessage } from '@langchain/core/messages'
import { ChatOpenAI } from '@langchain/openai'
import { budgetExceededFinishReason, budgetMiddleware } from '@tokenwarden/ai-sdk'
import { withBudget as withAnthropicBudget } from '@tokenwarden/anthropic'
import { BudgetExceededError, createBudget } from '@tokenwarden/core'
import { agentBudgetMiddleware, formatExceededMessage } from '@tokenwarden/langchain'
import { withBudget } from '@tokenwarden/openai'
import { startOpenAITestServer } from '@tokenwarden/openai-test-server'
import { genaiPrices } from '@tokenwarden/prices'
import { generateText, wrapLanguageModel } from 'ai'
import { type AIMessage, createAgent, createMiddleware, tool } from 'langchain'
import OpenAI from 'openai'
import { z } from 'zod'
import { scriptedTeam, searchResults, sections } from './scripted-team.ts'
import { type SentRequest, teamConsole } from './team-console.ts'

// ── Connection: the local scripted server, or the real API when OPENAI_API_KEY is set ───────────────
const apiKey = process.env.OPENAI_API_KEY || undefined
const server = apiKey ? undefined : await startOpenAITestServer({ respond: scriptedTeam() })
const recorded: SentRequest[] = []
const connection = {
  apiKey: apiKey ?? 'offline',
  baseURL: server?.url, // undefined: the clients use OPENAI_BASE_URL or their default
  // Online, keep a copy of each request body so the demo can show what the model read.
  fetch: server ? undefined : recordingFetch(recorded),
}
const sent: readonly SentRequest[] = server?.requests ?? recorded

// ── ONE budget for the whole team ────────────────────────────────────────────────────────────────────
const budget = createBudget({
  limits: [
    // Each conversation (here: one report), with a notice at 50 % on top of the default thresholds.
    {
      scope: 'thread',
      tokens: 30_000,
      thresholds: [
        { at: 0.5, severity: 'info' },
        0.75,
        { at: 0.9, severity: 'critical' },
        { at: 0.95, severity: 'final' },
      ],
    },
    { scope: 'agent', costUsd: 0.1, period: 'day' }, // each agent, per day (tiny on purpose)
    { scope: 'global', costUsd: 0.5, period: 'day' }, // the whole team, per day
  ],
  prices: genaiPrices(), // maintained USD prices (cached input and reasoning included)
})
const view = teamConsole({ budget, requests: sent })

// ── The team ─────────────────────────────────────────────────────────────────────────────────────────
// Planner: AI SDK. A refused call finishes with an explanatory text instead of throwing.
const planner = wrapLanguageModel({
  model: createOpenAI(connection).chat('o4-mini'),
  middleware: budgetMiddleware({ budget, context: { agent: 'planner' }, onExceeded: 'finish' }),
})
const plannerInstructions = 'You are the planner of a research team. Split the brief into three questions.'

// Researcher: a LangChain agent with a search tool. Out of budget, the run ends with an AI message.
const search = tool(async ({ query }: { query: string }) => searchResults(query), {
  name: 'search',
  description: 'Searches papers and documentation; returns three source summaries.',
  schema: z.object({ query: z.string() }),
})
const progress = createMiddleware({
  name: 'DemoProgress',
  afterModel: async (state, runtime) => {
    const message = state.messages.at(-1) as AIMessage
    if (endedByBudget(message)) return // no model call: printed by the caller
    const call = message.tool_calls?.[0]
    const label = call ? `search "${call.args.query}"` : message.text
    await view.call('researcher', { thread: runtime.configurable?.thread_id, user: 'ada' }, label, 600)
  },
})
const researcher = createAgent({
  model: new ChatOpenAI({
    model: 'gpt-4.1',
    apiKey: connection.apiKey,
    configuration: { baseURL: connection.baseURL, fetch: connection.fetch },
    maxTokens: 600,
  }),
  tools: [search],
  systemPrompt: 'You are the researcher of a research team. Search, then write short notes with sources.',
  middleware: [
    agentBudgetMiddleware({
      budget,
      context: { agent: 'researcher' },
      clamp: { minOutputTokens: 200 },
      onExceeded: 'finish',
      exceededText: formatExceededMessage,
    }),
    progress,
  ],
})

// Writer: the openai client. `clamp` lowers max_completion_tokens to what is left before refusing.
const writer = withBudget(new OpenAI(connection), {
  budget,
  context: { agent: 'writer' },
  clamp: { minOutputTokens: 200 },
})

// Editor: the Anthropic client, budgeted in place (still an `Anthropic`), on the same budget.
const editor = withAnthropicBudget(
  new Anthropic(server ? { apiKey: 'offline', baseURL: server.origin } : {}),
  { budget, context: { agent: 'editor' } },
)

// ── The run ──────────────────────────────────────────────────────────────────────────────────────────
const ada = { user: 'ada', thread: 'report-1' }
const brief = 'Write a short report: how do teams keep the cost of LLM agents under control?'
view.line(
  `tokenwarden · research team · ${server ? 'offline (scripted model on a local OpenAI-compatible server)' : `online (${process.env.OPENAI_BASE_URL ?? 'OpenAI API'})`}`,
)
view.line('budget: 30,000 tokens per thread · $0.10 per agent per day · $0.50 per day for the team')
view.line(`brief (user ada, thread report-1): ${brief}`)

try {
  view.header('1 · plan      planner · AI SDK generateText · o4-mini')
  const plan = await generateText({
    model: planner,
    instructions: plannerInstructions,
    prompt: brief,
    maxOutputTokens: 2_000,
    providerOptions: { tokenwarden: ada },
  })
  await view.call('planner', ada, plan.text)

  view.header('2 · research  researcher · LangChain createAgent + search tool · gpt-4.1')
  const research = await researcher.invoke(
    { messages: [new HumanMessage(`Research these questions.\n${plan.text}`)] },
    {
      configurable: { thread_id: ada.thread },
      metadata: { tokenwarden: { user: ada.user } },
      recursionLimit: 60,
    },
  )
  const notes = research.messages.at(-1)?.text ?? ''
  const sources = research.messages
    .filter((message) => message.type === 'tool')
    .map((message) => message.text)

  view.header('3 · write     writer · openai chat.completions stream · gpt-4o')
  const thread = writer.withContext(ada)
  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You are the writer of a research team. Write clear, short sections.' },
    { role: 'user', content: `Research notes:\n${notes}\n\nSources:\n${sources.join('\n')}` },
  ]
  for (const section of sections) {
    messages.push({ role: 'user', content: `Write the section "${section}".` })
    try {
      const stream = await thread.chat.completions.create({
        model: 'gpt-4o',
        messages,
        max_completion_tokens: 800,
        stream: true,
      })
      let text = ''
      let finish: string | null = null
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? ''
        finish = chunk.choices[0]?.finish_reason ?? finish
      }
      messages.push({ role: 'assistant', content: text })
      await view.call('writer', ada, `"${section}" streamed, finish: ${finish}`, 800)
    } catch (error) {
      if (!BudgetExceededError.isInstance(error)) throw error
      view.stop('writer', `refused before "${section}", no request sent (BudgetExceededError)`, error.message)
      break
    }
  }

  view.header(
    "4 · wrap-up   planner review (onExceeded: 'finish') · researcher follow-up (onExceeded: 'finish')",
  )
  const review = await generateText({
    model: planner,
    instructions: plannerInstructions,
    prompt: 'Review the draft report.',
    maxOutputTokens: 2_000,
    providerOptions: { tokenwarden: ada },
  })
  if (review.rawFinishReason === budgetExceededFinishReason) {
    view.stop(
      'planner',
      `review finished by the budget (rawFinishReason "${review.rawFinishReason}")`,
      review.text,
    )
  } else {
    await view.call('planner', ada, `review: ${review.text}`)
  }
  const followUp = await researcher.invoke(
    { messages: [new HumanMessage('Find one more source on in-process budgets.')] },
    {
      configurable: { thread_id: ada.thread },
      metadata: { tokenwarden: { user: ada.user } },
      recursionLimit: 60,
    },
  )
  const answer = followUp.messages.at(-1) as AIMessage
  if (endedByBudget(answer)) {
    view.stop(
      'researcher',
      'follow-up ended by the budget middleware (an AI message, no model call)',
      answer.text,
    )
  }

  view.header(
    '5 · another user, another thread: a fresh thread budget, the same agent and team budgets; the editor on Anthropic',
  )
  const grace = { user: 'grace', thread: 'brief-2' }
  const quick = await writer.withContext(grace).chat.completions.create({
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: 'You are the writer of a research team.' },
      { role: 'user', content: 'In one sentence: why give agents a budget?' },
    ],
    max_completion_tokens: 200,
  })
  await view.call('writer', grace, `grace: ${quick.choices[0]?.message.content}`)
  const edited = await editor.withContext(grace).messages.create({
    model: 'claude-haiku-4-5',
    max_tokens: 200,
    system: 'You are the editor of a research team. Tighten the sentence you are given.',
    messages: [{ role: 'user', content: quick.choices[0]?.message.content ?? '' }],
  })
  const editedText = edited.content.map((block) => (block.type === 'text' ? block.text : '')).join('')
  await view.call('editor', grace, `edited: ${editedText}`)

  await view.report(server?.totals())
} finally {
  await server?.close()
}

/** True for the AI message the LangChain budget middleware returns instead of calling the model. */
function endedByBudget(message: AIMessage): boolean {
  const metadata = message.response_metadata as { tokenwarden?: { exceeded?: unknown } } | undefined
  return metadata?.tokenwarden?.exceeded !== undefined
}

/** A fetch that keeps a copy of each JSON request body (online mode; never logs the API key). */
function recordingFetch(into: SentRequest[]): typeof fetch {
  return async (input, init) => {
    if (typeof init?.body === 'string') {
      try {
        into.push({ body: JSON.parse(init.body) })
      } catch {
        // not JSON: nothing to show
      }
    }
    return fetch(input, init)
  }
}
