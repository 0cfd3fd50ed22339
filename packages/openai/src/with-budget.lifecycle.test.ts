import { type Budget, createBudget, type Tally } from '@tokenwarden/core'
import { describe, expect, it, vi } from 'vitest'
import { useOpenAIFixture } from './test/openai-fixture.ts'
import { withBudget } from './with-budget.ts'

const messages = [{ role: 'user' as const, content: 'Summarise the plan.' }]
const thread = { thread: 't-1' }

describe('withBudget', () => {
  const fixture = useOpenAIFixture()

  /** What each call reserved, in order. */
  function reservations(budget: Budget) {
    const reserved: (Tally & { model: string | undefined })[] = []
    budget.on('reserved', (event) => reserved.push({ ...event.amount, model: event.model }))
    return reserved
  }

  describe('notice', () => {
    it('should count the warning it shows the model in the reservation', async () => {
      const tight = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }], thresholds: [0.5] })
      const reserved = reservations(tight)
      const client = withBudget(fixture.raw, { budget: tight, context: thread })
      fixture.server.enqueue({ usage: { inputTokens: 500, outputTokens: 100 } })
      await client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 })
      await client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 })
      const notice = fixture.server.requests[1]!.body.messages[0].content as string
      expect(notice).toMatch(/^\[Budget warning\]/)
      expect(reserved[1]!.inputTokens - reserved[0]!.inputTokens).toBe(4 + tight.estimator.count(notice))
    })

    it('should show a one-line status with injectStatus', async () => {
      const client = withBudget(fixture.raw, { budget: fixture.budget, context: thread, injectStatus: true })
      await client.responses.create({ model: 'gpt-4o', input: 'Hi' })
      expect(fixture.server.requests[0]!.body.instructions).toMatch(/^\[Budget status\] thread "t-1"/)
    })
  })

  describe('chains', () => {
    it('should floor a call continuing a response by what the chain last used (JSON and stream)', async () => {
      const reserved = reservations(fixture.budget)
      const client = withBudget(fixture.raw, { budget: fixture.budget, context: thread })
      fixture.server.enqueue(
        { text: 'first', usage: { inputTokens: 900, outputTokens: 100 } },
        { text: 'second', usage: { inputTokens: 1_100, outputTokens: 50 } },
      )
      const first = await client.responses.create({ model: 'gpt-4o', input: 'Read the report.' })
      const stream = await client.responses.create({
        model: 'gpt-4o',
        input: 'And?',
        previous_response_id: first.id,
        stream: true,
      })
      let secondId = ''
      for await (const event of stream) if (event.type === 'response.completed') secondId = event.response.id
      await client.responses.create({ model: 'gpt-4o', input: 'More?', previous_response_id: secondId })
      expect(reserved[1]!.inputTokens).toBeGreaterThanOrEqual(1_000)
      expect(reserved[2]!.inputTokens).toBeGreaterThanOrEqual(1_150)
    })

    it('should floor a call in a conversation by what the conversation last used', async () => {
      const reserved = reservations(fixture.budget)
      const client = withBudget(fixture.raw, { budget: fixture.budget, context: thread })
      fixture.server.enqueue({ usage: { inputTokens: 2_000, outputTokens: 10 } })
      await client.responses.create({ model: 'gpt-4o', input: 'Hi', conversation: 'conv_1' })
      await client.responses.create({ model: 'gpt-4o', input: 'Hi', conversation: { id: 'conv_1' } })
      expect(reserved[1]!.inputTokens).toBeGreaterThanOrEqual(2_010)
    })
  })

  describe('options', () => {
    it('should reserve defaultMaxOutputTokens without sending it, and price under modelId', async () => {
      const reserved = reservations(fixture.budget)
      const client = withBudget(fixture.raw, {
        budget: fixture.budget,
        context: thread,
        defaultMaxOutputTokens: 777,
        modelId: 'gpt-4o-mini',
      })
      await client.chat.completions.create({ model: 'gpt-4o', messages })
      await client.responses.create({ model: 'gpt-4o', input: 'Hi' })
      expect(reserved.map((tally) => [tally.outputTokens, tally.model])).toEqual([
        [777, 'gpt-4o-mini'],
        [777, 'gpt-4o-mini'],
      ])
      const [chat, responses] = fixture.server.requests
      expect(chat!.body).toEqual({ model: 'gpt-4o', messages })
      expect(responses!.body).toEqual({ model: 'gpt-4o', input: 'Hi' })
    })

    it('should send the clamped limit with clamp, also when the caller set none', async () => {
      const small = createBudget({ limits: [{ scope: 'thread', tokens: 500 }] })
      const client = withBudget(fixture.raw, { budget: small, context: thread, clamp: true })
      await client.chat.completions.create({ model: 'gpt-4o', messages })
      const sent = fixture.server.requests[0]!.body.max_completion_tokens as number
      expect(sent).toBeGreaterThan(0)
      expect(sent).toBeLessThan(500)
    })
  })

  describe('raw responses', () => {
    it('should keep withResponse() working and settle it from the parsed body', async () => {
      const client = withBudget(fixture.raw, { budget: fixture.budget, context: thread })
      fixture.server.enqueue({
        text: 'with response',
        usage: { inputTokens: 9, outputTokens: 2 },
        headers: { 'x-request-id': 'req_1' },
      })
      const { data, request_id } = await client.chat.completions
        .create({ model: 'gpt-4o', messages })
        .withResponse()
      expect(data.choices[0]!.message.content).toBe('with response')
      expect(request_id).toBe('req_1')
      expect(fixture.settled).toMatchObject([{ inputTokens: 9, outputTokens: 2, estimatedRequests: 0 }])
    })

    it('should settle a body the caller reads itself (asResponse) from the estimate after stallMs', async () => {
      const client = withBudget(fixture.raw, { budget: fixture.budget, context: thread, stallMs: 40 })
      const response = await client.responses.create({ model: 'gpt-4o', input: 'Hi' }).asResponse()
      expect(((await response.json()) as { object: string }).object).toBe('response')
      await vi.waitFor(() => expect(fixture.settled).toMatchObject([{ estimatedRequests: 1 }]))
    })
  })
})
