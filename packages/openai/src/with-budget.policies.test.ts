import {
  type Budget,
  type BudgetEvents,
  BudgetValidationError,
  type CompressionEvent,
  createBudget,
  type DowngradeEvent,
  truncationMarker,
} from '@tokenwarden/core'
import { estimateCallInput } from '@tokenwarden/core/adapter'
import { type OpenAITestServer, startOpenAITestServer } from '@tokenwarden/openai-test-server'
import OpenAI from 'openai'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { toCallInput } from './to-call-input.ts'
import { withBudget } from './with-budget.ts'

const thread = { thread: 't-1' }
const system = 'You are a careful financial analyst.'
const lastQuestion = 'Now compare Q3 with Q2 in two sentences.'

function conversation(): ChatCompletionMessageParam[] {
  return [
    { role: 'system', content: system },
    { role: 'user', content: `Here is the annual report:\n${'Revenue grew in every region. '.repeat(600)}` },
    { role: 'assistant', content: 'Thanks, I read it.' },
    { role: 'user', content: 'Find the Q3 revenue.' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'search', arguments: '{"query":"Q3"}' } }],
    },
    {
      role: 'tool',
      tool_call_id: 'c1',
      content: `Q3 revenue was $4.2M. ${'Unrelated search noise. '.repeat(1500)}`,
    },
    { role: 'assistant', content: 'Q3 revenue was $4.2M.' },
    { role: 'user', content: 'ok' },
    { role: 'assistant', content: 'Anything else?' },
    { role: 'user', content: lastQuestion },
  ]
}

describe('withBudget', () => {
  let server: OpenAITestServer
  let raw: OpenAI
  let budget: Budget
  let settled: BudgetEvents['settled'][]

  beforeAll(async () => {
    server = await startOpenAITestServer()
  })
  afterAll(() => server.close())
  beforeEach(() => {
    server.reset()
    raw = new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 })
  })

  /** A budget whose thread has used `share` of 100,000 tokens. */
  async function budgetAt(share: number) {
    budget = createBudget({
      limits: [{ scope: 'thread', tokens: 100_000 }],
      prices: {
        models: {
          'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
          'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
        },
      },
    })
    await budget.record(thread, { inputTokens: share * 100_000, outputTokens: 0 })
    settled = []
    budget.on('settled', (event) => settled.push(event))
  }

  function sentTokens(index: number): number {
    return estimateCallInput(
      toCallInput('chat', { messages: server.requests[index]!.body.messages }),
      budget.estimator,
    )
  }

  describe('compression', () => {
    it('should send the messages unchanged below the first level', async () => {
      await budgetAt(0.6)
      const client = withBudget(raw, { budget, context: thread, compression: true })
      await client.chat.completions.create({ model: 'gpt-4o', messages: conversation() })
      expect(server.requests[0]!.body.messages).toEqual(conversation())
    })

    it('should fit the request to the moderate target, keeping the system message and the last turn', async () => {
      await budgetAt(0.75)
      const events: CompressionEvent[] = []
      const client = withBudget(raw, {
        budget,
        context: thread,
        injectWarnings: false,
        compression: { keepLatestTurns: 1 },
        onCompressed: (event) => events.push(event),
      })
      const messages = conversation()
      await client.chat.completions
        .create({ model: 'gpt-4o', messages, stream: true })
        .then(async (stream) => {
          for await (const _ of stream);
        })
      expect(messages).toEqual(conversation()) // the caller's messages are not changed
      const [event] = events
      expect(event).toMatchObject({ level: 'moderate', fits: true, truncated: 1, model: 'gpt-4o' })
      expect(sentTokens(0)).toBeLessThanOrEqual(event!.targetTokens)
      const sent = server.requests[0]!.body.messages
      expect(sent[0]).toEqual({ role: 'system', content: system })
      expect(sent.at(-1)).toEqual({ role: 'user', content: lastQuestion })
      const tool = sent.find((message: { role: string }) => message.role === 'tool')
      expect(tool.content).toContain('Q3 revenue was $4.2M.')
      expect(tool.content.endsWith(truncationMarker)).toBe(true)
      expect(tool.tool_call_id).toBe('c1')
    })

    it('should summarize older turns with the summary model and charge the summary call', async () => {
      await budgetAt(0.92)
      const events: CompressionEvent[] = []
      server.enqueue(
        {
          text: '- Revenue grew everywhere.\n- Q3 revenue: $4.2M.',
          usage: { inputTokens: 3000, outputTokens: 20 },
        },
        { text: 'Q3 beat Q2.', usage: { inputTokens: 400, outputTokens: 10 } },
      )
      const client = withBudget(raw, {
        budget,
        context: thread,
        injectWarnings: false,
        compression: { summarizer: 'gpt-4o-mini' },
        onCompressed: (event) => events.push(event),
      })
      const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: conversation() })
      expect(completion.choices[0]!.message.content).toBe('Q3 beat Q2.')
      expect(server.requests.map((request) => request.body.model)).toEqual(['gpt-4o-mini', 'gpt-4o'])
      expect(JSON.stringify(server.requests[0]!.body.messages)).toContain('annual report')
      expect(JSON.stringify(server.requests[0]!.body.messages)).not.toContain(lastQuestion)
      const [event] = events
      expect(event).toMatchObject({ level: 'aggressive', fits: true, summaryModel: 'gpt-4o-mini' })
      expect(sentTokens(1)).toBeLessThanOrEqual(event!.targetTokens)
      const sent = server.requests[1]!.body.messages
      expect(sent[0]).toEqual({ role: 'system', content: system })
      expect(sent[1].content).toContain('Q3 revenue: $4.2M.')
      expect(sent.at(-1)).toEqual({ role: 'user', content: lastQuestion })
      expect(
        settled.map((entry) => [entry.model, entry.usage.inputTokens, entry.usage.outputTokens]),
      ).toEqual([
        ['gpt-4o-mini', 3000, 20],
        ['gpt-4o', 400, 10],
      ])
      const [status] = await budget.status(thread)
      expect(status!.used).toBe(92_000 + 3020 + 410)
    })
  })

  describe('downgrade', () => {
    it('should keep the model below the level and rewrite it above, charging the cheaper model', async () => {
      await budgetAt(0.85)
      const events: DowngradeEvent[] = []
      const client = withBudget(raw, {
        budget,
        context: thread,
        downgrade: [{ atUsage: 0.9, model: 'gpt-4o-mini' }],
        onDowngraded: (event) => events.push(event),
      })
      server.enqueue(
        { usage: { inputTokens: 5000, outputTokens: 10 } },
        { usage: { inputTokens: 100, outputTokens: 10 } },
      )
      const messages = [{ role: 'user' as const, content: 'Hi' }]
      await client.chat.completions.create({ model: 'gpt-4o', messages })
      const body = { model: 'gpt-4o', input: 'Hi again' }
      const response = await client.responses.create(body)
      expect(body.model).toBe('gpt-4o')
      expect(server.requests.map((request) => request.body.model)).toEqual(['gpt-4o', 'gpt-4o-mini'])
      expect(response.model).toBe('gpt-4o-mini')
      expect(settled.map((event) => [event.model, event.usage.costUsd])).toEqual([
        ['gpt-4o', (5000 * 2.5 + 10 * 10) / 1e6],
        ['gpt-4o-mini', (100 * 0.15 + 10 * 0.6) / 1e6],
      ])
      expect(events).toEqual([
        { context: thread, from: 'gpt-4o', to: 'gpt-4o-mini', usage: 0.9001, atUsage: 0.9 },
      ])
    })

    it('should name a bad level in a BudgetValidationError', async () => {
      await budgetAt(0)
      try {
        withBudget(raw, { budget, downgrade: [{ atUsage: 0.9, model: '' }] })
        expect.unreachable()
      } catch (error) {
        expect(BudgetValidationError.isInstance(error) && error.field).toBe('downgrade[0].model')
      }
    })
  })
})
