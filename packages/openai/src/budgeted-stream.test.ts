import { type Budget, createBudget, type Tally } from '@tokenwarden/core'
import { type OpenAITestServer, startOpenAITestServer } from '@tokenwarden/openai-test-server'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { withBudget } from './with-budget.ts'

const messages = [{ role: 'user' as const, content: 'Count to ten.' }]
const usage = { inputTokens: 30, outputTokens: 10, cachedTokens: 4, reasoningTokens: 2 }

describe('budgetedStream', () => {
  let server: OpenAITestServer
  let budget: Budget
  let settled: (Tally & { estimated: boolean })[]
  let client: ReturnType<typeof withBudget<OpenAI>>

  beforeAll(async () => {
    server = await startOpenAITestServer()
  })
  afterAll(() => server.close())
  beforeEach(() => {
    server.reset()
    budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
    settled = []
    budget.on('settled', (event) => settled.push({ ...event.usage, estimated: event.estimated }))
    const raw = new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 })
    client = withBudget(raw, { budget, context: { thread: 't-1' } })
  })

  async function reserved() {
    return (await budget.status({ thread: 't-1' }))[0]!.reserved
  }

  describe('usage chunk', () => {
    it('should hide the usage-only chunk from a caller who did not ask for it', async () => {
      server.enqueue({ text: 'one two', usage })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      const chunks = []
      for await (const chunk of stream) chunks.push(chunk)
      expect(chunks.every((chunk) => chunk.choices.length > 0)).toBe(true)
      expect(chunks.some((chunk) => chunk.usage)).toBe(false)
      expect(settled).toMatchObject([{ inputTokens: 30, outputTokens: 10, estimated: false }])
    })

    it('should keep the usage chunk for a caller who asked for it', async () => {
      server.enqueue({ text: 'one two', usage })
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        messages,
        stream: true,
        stream_options: { include_usage: true },
      })
      const chunks = []
      for await (const chunk of stream) chunks.push(chunk)
      expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 30 } })
      expect(settled).toHaveLength(1)
    })
  })

  describe('break', () => {
    it('should settle a chat stream the caller leaves from what arrived, marked estimated', async () => {
      server.enqueue({ text: 'a b c d e f g h', usage, delayMs: 20 })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) break
      expect(settled).toHaveLength(1)
      expect(settled[0]).toMatchObject({ estimated: true, estimatedRequests: 1, requests: 1 })
      expect(settled[0]!.outputTokens).toBeLessThan(8)
      expect(await reserved()).toBe(0)
      expect(server.totals().requests).toBe(0)
    })

    it('should settle a responses stream the caller leaves', async () => {
      server.enqueue({ text: 'a b c d e f g h', usage, delayMs: 20 })
      const stream = await client.responses.create({ model: 'gpt-4o', input: 'Hi', stream: true })
      for await (const event of stream) if (event.type === 'response.output_text.delta') break
      expect(settled).toMatchObject([{ estimated: true }])
      expect(await reserved()).toBe(0)
    })

    it('should settle a stream aborted through its controller before any read', async () => {
      server.enqueue({ text: 'a b c d e f g h', usage, delayMs: 20 })
      const once = new Promise((resolve) => budget.on('settled', resolve))
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      stream.controller.abort()
      await once
      expect(settled).toMatchObject([{ estimated: true }])
      expect(await reserved()).toBe(0)
    })
  })

  describe('cut', () => {
    it('should settle a chat stream the server cuts from the deltas received', async () => {
      // delayMs lets the sent events reach the client before the cut.
      server.enqueue({ text: 'alpha beta gamma delta', cutAfterChunks: 2, usage, delayMs: 5 })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      let text = ''
      await expect(
        (async () => {
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
        })(),
      ).rejects.toThrow()
      expect(text).toBe('alpha beta ')
      expect(settled).toHaveLength(1)
      expect(settled[0]).toMatchObject({
        estimated: true,
        outputTokens: budget.estimator.count('alpha ') * 2,
      })
      expect(await reserved()).toBe(0)
    })

    it('should settle a responses stream the server cuts', async () => {
      server.enqueue({ text: 'alpha beta gamma delta', cutAfterChunks: 1, usage, delayMs: 5 })
      const stream = await client.responses.create({ model: 'gpt-4o', input: 'Hi', stream: true })
      await expect(
        (async () => {
          for await (const _ of stream);
        })(),
      ).rejects.toThrow()
      expect(settled).toMatchObject([{ estimated: true, outputTokens: budget.estimator.count('alpha ') }])
      expect(await reserved()).toBe(0)
    })
  })

  describe('no usage', () => {
    it('should settle a finished stream without usage from its text, marked estimated', async () => {
      server.enqueue({ text: 'one two three', omitUsage: true })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      for await (const _ of stream);
      const { count } = budget.estimator
      expect(settled).toMatchObject([
        { estimated: true, outputTokens: count('one ') + count('two ') + count('three') },
      ])
    })
  })
})
