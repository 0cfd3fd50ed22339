import {
  type Budget,
  type BudgetEvents,
  BudgetExceededError,
  createBudget,
  MissingScopeError,
  type Tally,
} from '@tokenwarden/core'
import type { OpenAITestServer } from '@tokenwarden/openai-test-server'
import type OpenAI from 'openai'
import { zodResponseFormat, zodTextFormat } from 'openai/helpers/zod'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { budgetExceededErrorOf } from './budget-exceeded-error-of.ts'
import { useOpenAIFixture } from './test/openai-fixture.ts'
import { withBudget } from './with-budget.ts'

const messages = [{ role: 'user' as const, content: 'Summarise the plan.' }]
const usage = { inputTokens: 40, outputTokens: 12, cachedTokens: 8, reasoningTokens: 5 }

describe('withBudget', () => {
  let server: OpenAITestServer
  let raw: OpenAI
  let budget: Budget
  let settled: Tally[]
  const fixture = useOpenAIFixture()
  beforeEach(() => {
    ;({ server, raw, budget, settled } = fixture)
  })

  /** Sums what the budget counted, in the server's terms. */
  function counted() {
    const sum = { inputTokens: 0, outputTokens: 0, cachedTokens: 0, reasoningTokens: 0, requests: 0 }
    for (const tally of settled) {
      expect(tally.estimatedRequests).toBe(0)
      sum.inputTokens += tally.inputTokens
      sum.outputTokens += tally.outputTokens
      sum.cachedTokens += tally.cachedInputTokens
      sum.reasoningTokens += tally.reasoningTokens
      sum.requests += tally.requests
    }
    return sum
  }

  function expectCountedToEqualServer() {
    const { cacheWriteTokens: _, ...totals } = server.totals()
    expect(totals.requests).toBeGreaterThan(0)
    expect(counted()).toEqual(totals)
  }

  async function reserved(context = { thread: 't-1' }) {
    const [status] = await budget.status(context)
    return status!.reserved
  }

  describe('recorded usage', () => {
    it('should equal the server usage for chat.completions.create (JSON)', async () => {
      server.enqueue({ text: 'Done.', usage })
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const completion = await client.chat.completions.create({ model: 'gpt-4o', messages })
      expect(completion.choices[0]!.message.content).toBe('Done.')
      expectCountedToEqualServer()
      expect(await reserved()).toBe(0)
    })

    it('should equal the server usage for chat.completions.create (stream)', async () => {
      server.enqueue({ text: 'one two three', usage })
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      let text = ''
      for await (const chunk of stream) text += chunk.choices[0]!.delta.content ?? ''
      expect(text).toBe('one two three')
      expectCountedToEqualServer()
      expect(server.requests[0]!.body.stream_options).toEqual({ include_usage: true })
    })

    it('should equal the server usage for chat.completions.parse', async () => {
      server.enqueue({ text: '{"answer":"yes"}', usage })
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const completion = await client.chat.completions.parse({
        model: 'gpt-4o',
        messages,
        response_format: zodResponseFormat(z.object({ answer: z.string() }), 'answer'),
      })
      expect(completion.choices[0]!.message.parsed).toEqual({ answer: 'yes' })
      expectCountedToEqualServer()
    })

    it('should equal the server usage for chat.completions.stream', async () => {
      server.enqueue({ text: 'streamed by the helper', usage })
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const runner = client.chat.completions.stream({ model: 'gpt-4o', messages })
      const final = await runner.finalChatCompletion()
      expect(final.choices[0]!.message.content).toBe('streamed by the helper')
      expectCountedToEqualServer()
    })

    it('should equal the server usage for runTools, one settle per model call', async () => {
      server.enqueue(
        { toolCalls: [{ name: 'lookup', arguments: '{"q":"plan"}' }], usage },
        { text: 'The plan is ready.', usage: { inputTokens: 60, outputTokens: 6 } },
      )
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const runner = client.chat.completions.runTools({
        model: 'gpt-4o',
        messages,
        tools: [
          {
            type: 'function',
            function: {
              name: 'lookup',
              description: 'Looks the plan up',
              parameters: { type: 'object', properties: { q: { type: 'string' } } },
              function: () => 'found',
            },
          },
        ],
      })
      expect(await runner.finalContent()).toBe('The plan is ready.')
      expect(server.requests).toHaveLength(2)
      expect(settled).toHaveLength(2)
      expectCountedToEqualServer()
    })

    it('should equal the server usage for responses.create (JSON and stream)', async () => {
      server.enqueue({ text: 'json answer', usage }, { text: 'streamed answer', usage })
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const response = await client.responses.create({ model: 'gpt-4o', input: 'Hi' })
      expect(response.output_text).toBe('json answer')
      const stream = await client.responses.create({ model: 'gpt-4o', input: 'Hi', stream: true })
      let text = ''
      for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta
      expect(text).toBe('streamed answer')
      expectCountedToEqualServer()
      expect(server.requests[1]!.body.stream_options).toBeUndefined()
    })

    it('should equal the server usage for responses.stream and responses.parse', async () => {
      server.enqueue({ text: 'helper stream', usage }, { text: '{"answer":"no"}', usage })
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const final = await client.responses.stream({ model: 'gpt-4o', input: 'Hi' }).finalResponse()
      expect(final.output_text).toBe('helper stream')
      const parsed = await client.responses.parse({
        model: 'gpt-4o',
        input: 'Hi',
        text: { format: zodTextFormat(z.object({ answer: z.string() }), 'answer') },
      })
      expect(parsed.output_parsed).toEqual({ answer: 'no' })
      expectCountedToEqualServer()
    })

    it('should equal the server usage for embeddings.create', async () => {
      server.enqueue({ usage: { inputTokens: 9, outputTokens: 0 } })
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const embeddings = await client.embeddings.create({
        model: 'text-embedding-3-small',
        input: ['a', 'b'],
      })
      expect(embeddings.data).toHaveLength(2)
      expect(embeddings.data[0]!.embedding[0]).toBeCloseTo(0.1, 5)
      expectCountedToEqualServer()
    })
  })

  describe('garbage usage', () => {
    const garbage = { inputTokens: -40, outputTokens: 'lots' as unknown as number }

    function recordRejections() {
      const rejected: BudgetEvents['usageRejected'][] = []
      budget.on('usageRejected', (event) => rejected.push(event))
      return rejected
    }

    it('should settle a JSON reply with negative or non-numeric usage from the estimate and report it', async () => {
      server.enqueue({ text: 'Done.', usage: garbage })
      const rejected = recordRejections()
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const completion = await client.chat.completions.create({ model: 'gpt-4o', messages })
      expect(completion.choices[0]!.message.content).toBe('Done.')
      await vi.waitFor(() => expect(settled).toHaveLength(1))
      expect(settled[0]).toMatchObject({ estimatedRequests: 1, requests: 1 })
      expect(settled[0]!.inputTokens).toBeGreaterThan(0)
      expect(settled[0]!.outputTokens).toBeGreaterThan(0)
      expect(rejected).toEqual([
        expect.objectContaining({ context: { thread: 't-1' }, fields: ['inputTokens', 'outputTokens'] }),
      ])
      expect(await reserved()).toBe(0)
    })

    it('should settle a responses stream with garbage usage from the estimate and report it', async () => {
      server.enqueue({ text: 'one two three', usage: { ...garbage, inputTokens: 12 } })
      const rejected = recordRejections()
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const stream = await client.responses.create({ model: 'gpt-4o', input: 'Hi', stream: true })
      for await (const _ of stream) {
        // drain
      }
      await vi.waitFor(() => expect(settled).toHaveLength(1))
      expect(settled[0]).toMatchObject({ inputTokens: 12, estimatedRequests: 1 })
      expect(settled[0]!.outputTokens).toBeGreaterThan(0)
      expect(rejected.map((event) => event.fields)).toEqual([['outputTokens']])
    })
  })

  describe('refusal', () => {
    it('should reject with BudgetExceededError and send no request', async () => {
      const small = createBudget({ limits: [{ scope: 'thread', tokens: 100 }] })
      const client = withBudget(raw, { budget: small, context: { thread: 't-1' } })
      const call = client.chat.completions.create({ model: 'gpt-4o', messages, max_completion_tokens: 500 })
      const error = await call.catch((caught: unknown) => caught)
      expect(BudgetExceededError.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ scope: 'thread', scopeId: 't-1', limit: 100 })
      // The SDK's event-stream helpers wrap foreign errors in an OpenAIError with the original as cause.
      const wrapped = await client.responses
        .stream({ model: 'gpt-4o', input: 'Hi' })
        .finalResponse()
        .catch((caught: unknown) => caught)
      expect(budgetExceededErrorOf(wrapped)).toMatchObject({ scope: 'thread', limit: 100 })
      await expect(client.embeddings.create({ model: 'e', input: 'x'.repeat(1000) })).rejects.toThrow(
        BudgetExceededError,
      )
      expect(server.requests).toHaveLength(0)
      expect((await small.status({ thread: 't-1' }))[0]).toMatchObject({ used: 0, reserved: 0 })
    })

    it('should reject a call whose context lacks the thread with MissingScopeError and send no request', async () => {
      const client = withBudget(raw, { budget, context: { agent: 'researcher' } })
      const error = await client.chat.completions
        .create({ model: 'gpt-4o', messages })
        .catch((e: unknown) => e)
      expect(MissingScopeError.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ scope: 'thread', limitName: 'thread/none' })
      expect((error as Error).message).toContain('client.withContext({ thread })')
      expect(server.requests).toHaveLength(0)
      await client.withContext({ thread: 't-1' }).chat.completions.create({ model: 'gpt-4o', messages })
      expect(server.requests).toHaveLength(1)
    })
  })

  describe('warnings', () => {
    it('should inject each crossing exactly once, after the leading system messages', async () => {
      const tight = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], thresholds: [0.5] })
      const client = withBudget(raw, { budget: tight, context: { thread: 't-1' } })
      const conversation = [{ role: 'system' as const, content: 'Be brief.' }, ...messages]
      server.enqueue({ usage: { inputTokens: 500, outputTokens: 100 } })
      await client.chat.completions.create({ model: 'gpt-4o', messages: conversation, max_tokens: 50 })
      await client.chat.completions.create({ model: 'gpt-4o', messages: conversation, max_tokens: 50 })
      await client.responses.create({
        model: 'gpt-4o',
        input: 'Hi',
        instructions: 'Be brief.',
        max_output_tokens: 50,
      })
      const bodies = server.requests.map((request) => JSON.stringify(request.body))
      const warned = bodies.filter((body) => body.includes('[Budget warning]'))
      expect(warned).toHaveLength(1)
      expect(server.requests[0]!.body.messages).toHaveLength(2)
      expect(server.requests[1]!.body.messages).toHaveLength(3)
      expect(server.requests[1]!.body.messages[0]).toEqual({ role: 'system', content: 'Be brief.' })
      expect(server.requests[1]!.body.messages[1].role).toBe('system')
      expect(server.requests[1]!.body.messages[1].content).toMatch(/^\[Budget warning\] This conversation/)
      expect(server.requests[2]!.body.instructions).toBe('Be brief.')
      expect(conversation).toHaveLength(2)
    })

    it('should show the warning again at the next call when the call carrying it failed', async () => {
      const tight = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], thresholds: [0.5] })
      const client = withBudget(raw.withOptions({ maxRetries: 0 }), {
        budget: tight,
        context: { thread: 't-3' },
      })
      server.enqueue({ usage: { inputTokens: 500, outputTokens: 100 } })
      await client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 })
      server.enqueue({ status: 500 })
      await expect(
        client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 }),
      ).rejects.toThrow()
      await client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 })
      await client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 })
      const warned = server.requests.map((request) =>
        JSON.stringify(request.body).includes('[Budget warning]'),
      )
      expect(warned).toEqual([false, true, true, false])
    })

    it('should append a warning to the instructions of a responses call', async () => {
      const tight = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], thresholds: [0.5] })
      const client = withBudget(raw, { budget: tight, context: { thread: 't-2' } })
      server.enqueue({ usage: { inputTokens: 600, outputTokens: 0 } })
      await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' })
      await client.responses.create({
        model: 'gpt-4o',
        input: 'Hi',
        instructions: 'Be brief.',
        max_output_tokens: 50,
      })
      expect(server.requests[1]!.body.instructions).toMatch(/^Be brief\.\n\n\[Budget warning\]/)
    })
  })
})
