import { createOpenAI } from '@ai-sdk/openai'
import type { LanguageModelV4 } from '@ai-sdk/provider'
import { createBudget, type Tally } from '@tokenwarden/core'
import { type OpenAITestServer, startOpenAITestServer } from '@tokenwarden/openai-test-server'
import { generateText, stepCountIs, streamText, tool, wrapLanguageModel } from 'ai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { budgetMiddleware } from './budget-middleware.ts'
import { recordSettlements, reservedOf } from './test/model-results.ts'

const thread = { thread: 't-1' }

function sum(usages: Tally[]) {
  const total = { inputTokens: 0, outputTokens: 0, cachedTokens: 0, reasoningTokens: 0, requests: 0 }
  for (const usage of usages) {
    total.inputTokens += usage.inputTokens
    total.outputTokens += usage.outputTokens
    total.cachedTokens += usage.cachedInputTokens
    total.reasoningTokens += usage.reasoningTokens
    total.requests += usage.requests
  }
  return total
}

describe('budgetMiddleware', () => {
  describe('with @ai-sdk/openai on a local OpenAI-compatible server', () => {
    let server: OpenAITestServer
    let openai: ReturnType<typeof createOpenAI>
    beforeAll(async () => {
      server = await startOpenAITestServer()
      openai = createOpenAI({ apiKey: 'test-key', baseURL: server.url })
    })
    afterAll(() => server.close())
    beforeEach(() => server.reset())

    function budgeted(model: LanguageModelV4) {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1_000_000 }] })
      const settled = recordSettlements(budget)
      const wrapped = wrapLanguageModel({ model, middleware: budgetMiddleware({ budget, context: thread }) })
      return { budget, settled, model: wrapped }
    }

    for (const api of ['chat', 'responses'] as const) {
      describe(api, () => {
        it('should record exactly the usage the server reported, JSON and SSE, cached and reasoning included', async () => {
          const { budget, settled, model } = budgeted(openai[api]('gpt-4o'))
          server.enqueue(
            {
              text: 'one',
              usage: { inputTokens: 120, outputTokens: 30, cachedTokens: 100, reasoningTokens: 12 },
            },
            {
              text: 'two three',
              usage: { inputTokens: 95, outputTokens: 41, cachedTokens: 64, reasoningTokens: 7 },
            },
            { text: 'four', usage: { inputTokens: 33, outputTokens: 9 } },
          )
          expect((await generateText({ model, prompt: 'first' })).text).toBe('one')
          expect(await streamText({ model, prompt: 'second' }).text).toBe('two three')
          await generateText({ model, prompt: 'third', maxOutputTokens: 64 })
          const totals = server.totals()
          expect(totals.requests).toBe(3)
          expect(settled.every((event) => !event.estimated)).toBe(true)
          expect(sum(settled.map((event) => event.usage))).toEqual({
            inputTokens: totals.inputTokens,
            outputTokens: totals.outputTokens,
            cachedTokens: totals.cachedTokens,
            reasoningTokens: totals.reasoningTokens,
            requests: totals.requests,
          })
          expect(await reservedOf(budget, thread)).toBe(0)
        })

        it('should send the warning, and no output limit the caller did not set, to the provider', async () => {
          const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
          const model = wrapLanguageModel({
            model: openai[api]('gpt-4o'),
            middleware: budgetMiddleware({ budget, context: thread, defaultMaxOutputTokens: 100 }),
          })
          server.enqueue(
            { usage: { inputTokens: 800, outputTokens: 10 } },
            { usage: { inputTokens: 5, outputTokens: 5 } },
          )
          await generateText({ model, prompt: 'first' })
          await generateText({ model, prompt: 'second' })
          const [first, second] = server.requests.map((request) => JSON.stringify(request.body))
          expect(first).not.toContain('[Budget warning]')
          expect(second).toContain('[Budget warning]')
          const maxField = api === 'chat' ? 'max_tokens' : 'max_output_tokens'
          // The default output is reserved, not sent: the provider keeps its own default.
          expect(server.requests[0]!.body[maxField] ?? server.requests[0]!.body.max_completion_tokens).toBe(
            undefined,
          )
        })

        it('should settle a stream the server cuts mid-way from its deltas and hold nothing', async () => {
          const { budget, settled, model } = budgeted(openai[api]('gpt-4o'))
          server.enqueue({
            text: 'alpha beta gamma delta epsilon',
            cutAfterChunks: 2,
            delayMs: 10,
            usage: { inputTokens: 50, outputTokens: 5 },
          })
          const result = streamText({ model, prompt: 'Count', maxRetries: 0, onError: () => {} })
          await result.consumeStream({ onError: () => {} })
          expect(settled).toHaveLength(1)
          expect(settled[0]!.estimated).toBe(true)
          expect(settled[0]!.usage.outputTokens).toBeGreaterThan(0)
          expect(server.totals().requests).toBe(0)
          expect(await reservedOf(budget, thread)).toBe(0)
        })

        it('should release the reservation of a call the server refuses', async () => {
          const { budget, settled, model } = budgeted(openai[api]('gpt-4o'))
          server.enqueue({ status: 500 })
          await expect(generateText({ model, prompt: 'x', maxRetries: 0 })).rejects.toThrow()
          expect(settled).toHaveLength(0)
          expect(await reservedOf(budget, thread)).toBe(0)
        })
      })
    }

    it('should charge every step of a tool loop against the server', async () => {
      const { settled, model } = budgeted(openai.chat('gpt-4o'))
      server.enqueue(
        {
          toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Paris"}' }],
          usage: { inputTokens: 60, outputTokens: 12 },
        },
        { text: 'Sunny.', usage: { inputTokens: 90, outputTokens: 4, cachedTokens: 32 } },
      )
      const result = await generateText({
        model,
        prompt: 'Weather in Paris?',
        stopWhen: stepCountIs(3),
        tools: {
          weather: tool({ inputSchema: z.object({ city: z.string() }), execute: async () => 'sunny' }),
        },
      })
      expect(result.text).toBe('Sunny.')
      expect(
        settled.map((event) => [
          event.usage.inputTokens,
          event.usage.outputTokens,
          event.usage.cachedInputTokens,
        ]),
      ).toEqual([
        [60, 12, 0],
        [90, 4, 32],
      ])
    })
  })
})
