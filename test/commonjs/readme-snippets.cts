// The README's snippets as a CommonJS TypeScript user writes them (a .cts file, or a package without
// "type": "module"): the types come from our .d.cts files and must match the frameworks' own CJS types
// (openai's client class has #private members: an ESM declaration of it is a different class).
import Anthropic from '@anthropic-ai/sdk'
import { AIMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { type Agent, OpenAIProvider, Runner } from '@openai/agents'
import { withBudget as withAnthropicBudget } from '@tokenwarden/anthropic'
import { createBudget, formatStatus, UnsupportedRuntimeError } from '@tokenwarden/core'
import { BudgetCallbackHandler } from '@tokenwarden/langchain'
import { withBudget } from '@tokenwarden/openai'
import { budgetModelProvider, withBudgetContext } from '@tokenwarden/openai-agents'
import { sqliteStore } from '@tokenwarden/sqlite'
import OpenAI from 'openai'

const budget = createBudget({
  limits: [{ scope: 'thread', tokens: 100_000 }],
  store: sqliteStore({ path: './budgets.db' }),
})

const client = withBudget(new OpenAI({ apiKey: 'sk-test' }), { budget, context: { agent: 'writer' } })
const thread: OpenAI = client.withContext({ thread: 't-1' }) // still an OpenAI client
export const completion = thread.chat.completions.create({ model: 'gpt-4o', messages: [] })

// @ts-expect-error: a context id must be a string (proves the types above are not `any`)
withBudget(new OpenAI({ apiKey: 'sk-test' }), { budget, context: { agent: 42 } })

const claude = withAnthropicBudget(new Anthropic({ apiKey: 'sk-ant-test' }), {
  budget,
  context: { agent: 'writer' },
})
const claudeThread: Anthropic = claude.withContext({ thread: 't-1' }) // still an Anthropic client
export const message = claudeThread.messages.create({
  model: 'claude-sonnet-4-5',
  max_tokens: 64,
  messages: [],
})

// @ts-expect-error: a context id must be a string (proves the types above are not `any`)
withAnthropicBudget(new Anthropic({ apiKey: 'sk-ant-test' }), { budget, context: { agent: 42 } })

const runner = new Runner({ modelProvider: budgetModelProvider(new OpenAIProvider(), { budget }) })
export const runAgent = (agent: Agent) =>
  withBudgetContext({ thread: 't-1' }, () => runner.run(agent, 'Summarise the report.'))

// @ts-expect-error: a context id must be a string (proves the types above are not `any`)
budgetModelProvider(new OpenAIProvider(), { budget, context: { agent: 42 } })

export const answer = fakeModel()
  .respond(new AIMessage('hi'))
  .invoke('Hello', { callbacks: [new BudgetCallbackHandler({ budget, context: { agent: 'writer' } })] })

export const line = async () => (await budget.status({ thread: 't-1' })).map((status) => formatStatus(status))
export const isRuntimeError = (error: unknown) => UnsupportedRuntimeError.isInstance(error)
