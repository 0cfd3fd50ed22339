import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import {
  type BudgetEvents,
  BudgetValidationError,
  type CompressionEvent,
  createBudget,
  type DowngradeEvent,
  type LimitConfig,
  truncationMarker,
} from '@tokenwarden/core'
import { estimateCallInput } from '@tokenwarden/core/adapter'
import { createAgent } from 'langchain'
import { describe, expect, it } from 'vitest'
import { type AgentBudgetMiddlewareOptions, agentBudgetMiddleware } from './agent-budget-middleware.ts'
import { toCallInput } from './to-call-input.ts'

const thread = { thread: 't-1' }
const systemPrompt = 'You are a careful financial analyst.'
const lastQuestion = 'Now compare Q3 with Q2 in two sentences.'

function conversation(): BaseMessage[] {
  return [
    new HumanMessage(`Here is the annual report:\n${'Revenue grew in every region. '.repeat(600)}`),
    new AIMessage('Thanks, I read it.'),
    new HumanMessage('Find the Q3 revenue.'),
    new AIMessage({ content: '', tool_calls: [{ name: 'search', args: { query: 'Q3' }, id: 'c1' }] }),
    new ToolMessage({
      tool_call_id: 'c1',
      content: `Q3 revenue was $4.2M. ${'Unrelated search noise. '.repeat(1500)}`,
    }),
    new AIMessage('Q3 revenue was $4.2M.'),
    new HumanMessage('ok'),
    new AIMessage('Anything else?'),
    new HumanMessage(lastQuestion),
  ]
}

function answer(text: string, input: number, output: number) {
  return () =>
    new AIMessage({
      content: text,
      usage_metadata: { input_tokens: input, output_tokens: output, total_tokens: input + output },
    })
}

/** A named fake chat model (the middleware charges calls by the model's `model` field). */
function namedModel(name: string) {
  return Object.assign(fakeModel(), { model: name })
}

async function setup(
  share: number,
  options: Partial<AgentBudgetMiddlewareOptions>,
  limits: LimitConfig[] = [],
  messages: () => BaseMessage[] = conversation,
) {
  const budget = createBudget({
    limits: [{ scope: 'thread', tokens: 100_000 }, ...limits],
    prices: {
      models: {
        'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
        'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
      },
    },
  })
  await budget.record(thread, { inputTokens: share * 100_000, outputTokens: 0 })
  budget.takeWarnings(thread) // shown already: the requests below carry no warning
  const settled: BudgetEvents['settled'][] = []
  budget.on('settled', (event) => settled.push(event))
  const model = namedModel('gpt-4o').respond(answer('Q3 beat Q2.', 400, 10))
  const middleware = agentBudgetMiddleware({ budget, ...options })
  const agent = createAgent({ model, tools: [], systemPrompt, middleware: [middleware] })
  const run = () => agent.invoke({ messages: messages() }, { configurable: { thread_id: 't-1' } })
  return { budget, settled, model, run }
}

/** What the model received: its system text, the other messages, and their estimated size. */
function received(
  budget: { estimator: { count(text: string): number } },
  model: ReturnType<typeof fakeModel>,
) {
  const messages = model.calls[0]!.messages as BaseMessage[]
  return {
    system: messages[0]!.type === 'system' ? messages[0]!.text : '',
    rest: messages.slice(1),
    tokens: estimateCallInput(toCallInput(messages), budget.estimator as never),
  }
}

describe('agentBudgetMiddleware', () => {
  describe('compression', () => {
    it('should fit the request to the moderate target and keep the system prompt and the last turn', async () => {
      const events: CompressionEvent[] = []
      const { budget, model, run } = await setup(0.75, {
        compression: { keepLatestTurns: 1 },
        onCompressed: (event) => events.push(event),
      })
      const state = await run()
      const [event] = events
      expect(event).toMatchObject({ level: 'moderate', fits: true, truncated: 1, model: 'gpt-4o' })
      const { system, rest, tokens } = received(budget, model)
      expect(tokens).toBeLessThanOrEqual(event!.targetTokens)
      expect(system).toBe(systemPrompt)
      expect(rest.at(-1)!.text).toBe(lastQuestion)
      const tool = rest.find((message) => message.type === 'tool')!
      expect(tool.text).toContain('Q3 revenue was $4.2M.')
      expect(tool.text.endsWith(truncationMarker)).toBe(true)
      // The agent's state keeps the full history.
      expect(state.messages[4]!.text.length).toBeGreaterThan(30_000)
    })

    it('should summarize older turns with the summarizer at 90% and charge the summary call', async () => {
      const summarizer = namedModel('gpt-4o-mini').respond(
        answer('- Revenue grew everywhere.\n- Q3 revenue: $4.2M.', 3000, 20),
      )
      const events: CompressionEvent[] = []
      const { budget, model, settled, run } = await setup(0.92, {
        compression: { summarizer },
        onCompressed: (event) => events.push(event),
      })
      await run()
      expect(summarizer.calls).toHaveLength(1)
      const summaryInput = JSON.stringify(summarizer.calls[0]!.messages)
      expect(summaryInput).toContain('annual report')
      expect(summaryInput).not.toContain(lastQuestion)
      const [event] = events
      expect(event).toMatchObject({ level: 'aggressive', fits: true, summaryModel: 'gpt-4o-mini' })
      const { system, rest, tokens } = received(budget, model)
      expect(tokens).toBeLessThanOrEqual(event!.targetTokens)
      expect(system.startsWith(systemPrompt)).toBe(true)
      expect(system).toContain('Q3 revenue: $4.2M.')
      expect(rest.at(-1)!.text).toBe(lastQuestion)
      expect(
        settled.map((entry) => [entry.model, entry.usage.inputTokens, entry.usage.outputTokens]),
      ).toEqual([
        ['gpt-4o-mini', 3000, 20],
        ['gpt-4o', 400, 10],
      ])
      const [status] = await budget.status(thread)
      expect(status!.used).toBe(92_000 + 3020 + 410)
    })

    it('should drop the turns to summarize when the budget refuses the summary call', async () => {
      const summarizer = namedModel('gpt-4o-mini').respond(answer('never', 1, 1))
      const events: CompressionEvent[] = []
      const { budget, model, run } = await setup(
        0.92,
        { compression: { summarizer }, onCompressed: (event) => events.push(event) },
        [{ scope: 'model', id: 'gpt-4o-mini', tokens: 100 }],
      )
      await run()
      expect(summarizer.calls).toHaveLength(0)
      expect(events[0]!.summaryError).toMatch(/budget|limit/i)
      const { system, rest, tokens } = received(budget, model)
      expect(system).toBe(systemPrompt)
      expect(rest.at(-1)!.text).toBe(lastQuestion)
      expect(tokens).toBeLessThan(events[0]!.originalTokens / 2)
    })
  })

  describe('downgrade', () => {
    it('should swap in the cheaper model above the level, charge it and mark the answer', async () => {
      const mini = namedModel('gpt-4o-mini').respond(answer('mini', 100, 10))
      const events: DowngradeEvent[] = []
      const { model, settled, run } = await setup(
        0.91,
        { downgrade: [{ atUsage: 0.9, model: mini }], onDowngraded: (event) => events.push(event) },
        [],
        () => [new HumanMessage('Hi')],
      )
      const state = await run()
      expect([model.calls.length, mini.calls.length]).toEqual([0, 1])
      expect(settled.map((event) => [event.model, event.usage.costUsd])).toEqual([
        ['gpt-4o-mini', (100 * 0.15 + 10 * 0.6) / 1e6],
      ])
      expect(events).toEqual([
        { context: thread, from: 'gpt-4o', to: 'gpt-4o-mini', usage: 0.91, atUsage: 0.9 },
      ])
      const last = state.messages.at(-1) as AIMessage
      expect(last.text).toBe('mini')
      expect(last.response_metadata.tokenwarden).toEqual({ model: 'gpt-4o-mini', downgradedFrom: 'gpt-4o' })
    })

    it('should keep the agent model below the level', async () => {
      const mini = namedModel('gpt-4o-mini').respond(answer('mini', 100, 10))
      const { model, settled, run } = await setup(0.5, { downgrade: [{ atUsage: 0.9, model: mini }] })
      await run()
      expect([model.calls.length, mini.calls.length]).toEqual([1, 0])
      expect(settled.map((event) => event.model)).toEqual(['gpt-4o'])
    })

    it('should name a bad level in a BudgetValidationError', () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      try {
        agentBudgetMiddleware({ budget, downgrade: [{ atUsage: 0, model: fakeModel() }] })
        expect.unreachable()
      } catch (error) {
        expect(BudgetValidationError.isInstance(error) && error.field).toBe('downgrade[0].atUsage')
      }
    })
  })
})
