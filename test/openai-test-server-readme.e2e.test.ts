// The snippets of packages/openai-test-server/README.md, run as written: a budget tested offline with the
// openai client, @ai-sdk/openai and ChatOpenAI against the public test server.
import { createOpenAI } from '@ai-sdk/openai'
import { ChatOpenAI } from '@langchain/openai'
import { budgetMiddleware } from '@tokenwarden/ai-sdk'
import { BudgetExceededError, createBudget } from '@tokenwarden/core'
import { BudgetCallbackHandler } from '@tokenwarden/langchain'
import { withBudget } from '@tokenwarden/openai'
import { startOpenAITestServer } from '@tokenwarden/openai-test-server'
import { generateText, wrapLanguageModel } from 'ai'
import OpenAI from 'openai'
import { describe, expect, it, vi } from 'vitest'

describe('the openai-test-server README', () => {
  it('should test a budget offline with the openai client', async () => {
    const server = await startOpenAITestServer({
      respond: () => ({ text: 'Noted.', usage: { inputTokens: 60, outputTokens: 40 } }),
    })
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 400 }] })
    const client = withBudget(new OpenAI({ apiKey: 'test', baseURL: server.url }), {
      budget,
      context: { thread: 't-1' },
    })

    const ask = () =>
      client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Go on.' }],
        max_completion_tokens: 40,
      })
    for (let call = 0; call < 4; call++) await ask() // 4 × 100 tokens
    await expect(ask()).rejects.toSatisfy(BudgetExceededError.isInstance)
    expect(server.requests).toHaveLength(4) // the refused call never reached the server
    expect(server.requests[0]!.headers.authorization).toBe('[redacted]')
    await server.close()
  })

  it('should serve @ai-sdk/openai (chat and responses) and ChatOpenAI behind a budget', async () => {
    const server = await startOpenAITestServer({
      respond: () => ({ text: 'Noted.', usage: { inputTokens: 60, outputTokens: 40 } }),
    })
    try {
      const budget = createBudget({ limits: [{ scope: 'global', tokens: 300 }] })
      const openai = createOpenAI({ apiKey: 'test', baseURL: server.url })
      for (const languageModel of [openai.chat('gpt-4o'), openai('gpt-4o')]) {
        const model = wrapLanguageModel({ model: languageModel, middleware: budgetMiddleware({ budget }) })
        const { text } = await generateText({ model, prompt: 'Hi', maxOutputTokens: 40 })
        expect(text).toBe('Noted.')
      }
      const chat = new ChatOpenAI({
        model: 'gpt-4o',
        apiKey: 'test',
        maxTokens: 40,
        configuration: { baseURL: server.url },
      })
      await chat.invoke('Hi', { callbacks: [new BudgetCallbackHandler({ budget })] })
      expect(server.requests.map((request) => request.kind)).toEqual(['chat', 'responses', 'chat'])
      const [global] = await budget.status({})
      expect(global!.used).toBe(300)
      const quiet = vi.spyOn(console, 'error').mockImplementation(() => {})
      try {
        await expect(
          chat.invoke('Hi', { callbacks: [new BudgetCallbackHandler({ budget })] }),
        ).rejects.toSatisfy(BudgetExceededError.isInstance)
      } finally {
        quiet.mockRestore()
      }
      expect(server.requests).toHaveLength(3)
    } finally {
      await server.close()
    }
  })
})
