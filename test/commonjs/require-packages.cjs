// Loads every package's CommonJS build with require() and runs one budgeted call through the core, the
// way a CommonJS app would. Run by commonjs-types.e2e.test.ts; prints one JSON line.
const { createBudget } = require('@tokenwarden/core')
const { budgetMiddleware } = require('@tokenwarden/ai-sdk')
const { BudgetCallbackHandler } = require('@tokenwarden/langchain')
const { withBudget } = require('@tokenwarden/openai')
const { withBudget: withAnthropicBudget } = require('@tokenwarden/anthropic')
const { budgetModelProvider } = require('@tokenwarden/openai-agents')
const { OpenAIProvider } = require('@openai/agents')
const Anthropic = require('@anthropic-ai/sdk')
const { genaiPrices } = require('@tokenwarden/prices')
const { redisStore } = require('@tokenwarden/redis')
const { sqliteStore } = require('@tokenwarden/sqlite')
const OpenAI = require('openai')

const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], prices: genaiPrices() })
const client = withBudget(new OpenAI({ apiKey: 'sk-test' }), { budget, context: { agent: 'writer' } })
const claude = withAnthropicBudget(new Anthropic({ apiKey: 'sk-ant-test' }), { budget })
const provider = budgetModelProvider(
  new OpenAIProvider({ openAIClient: new OpenAI({ apiKey: 'sk-test' }) }),
  { budget },
)

budget
  .reserve({ thread: 't-1' }, { model: 'gpt-4o', inputTokens: 100, maxOutputTokens: 100 })
  .then((reservation) => reservation.settle({ inputTokens: 100, outputTokens: 50 }))
  .then(() => budget.status({ thread: 't-1' }))
  .then(([status]) => {
    const loaded = [budgetMiddleware, BudgetCallbackHandler, redisStore, sqliteStore, client.withContext]
    loaded.push(claude.withContext, provider.getModel)
    console.log(JSON.stringify({ used: status.used, loaded: loaded.map((value) => typeof value) }))
  })
