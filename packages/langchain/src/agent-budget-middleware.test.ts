import { AIMessage, type BaseMessage, HumanMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { MemorySaver } from '@langchain/langgraph'
import {
  type Budget,
  type BudgetEvents,
  BudgetExceededError,
  BudgetValidationError,
  createBudget,
  MissingScopeError,
} from '@tokenwarden/core'
import { createAgent, tool } from 'langchain'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { agentBudgetMiddleware } from './agent-budget-middleware.ts'
import { formatExceededMessage } from './format-exceeded-message.ts'

const search = tool(async ({ query }: { query: string }) => `results for ${query}`, {
  name: 'search',
  description: 'Searches the web.',
  schema: z.object({ query: z.string() }),
})

let callId = 0
function toolCall(inputTokens: number, outputTokens: number) {
  return () =>
    new AIMessage({
      content: '',
      tool_calls: [{ name: 'search', args: { query: 'budgets' }, id: `call-${++callId}` }],
      usage_metadata: {
        input_tokens: inputTokens,
        output_tokens: outputTokens,
        total_tokens: inputTokens + outputTokens,
      },
    })
}

function answer(inputTokens: number, outputTokens: number, text = 'Done.') {
  return () =>
    new AIMessage({
      content: text,
      usage_metadata: {
        input_tokens: inputTokens,
        output_tokens: outputTokens,
        total_tokens: inputTokens + outputTokens,
      },
    })
}

function systemTexts(model: ReturnType<typeof fakeModel>): string[] {
  return model.calls.map((call) => (call.messages[0]?.type === 'system' ? call.messages[0].text : ''))
}

async function threadStatus(budget: Budget, thread: string) {
  const [status] = await budget.status({ thread })
  return status!
}

function run(
  agent: { invoke: (input: any, config?: any) => Promise<{ messages: BaseMessage[] }> },
  thread: string,
) {
  return agent.invoke(
    { messages: [new HumanMessage('Research budgets')] },
    { configurable: { thread_id: thread } },
  )
}

describe('agentBudgetMiddleware', () => {
  describe('options', () => {
    it('should refuse an unknown onExceeded with a BudgetValidationError naming the field', () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      try {
        agentBudgetMiddleware({ budget, onExceeded: 'stop' as 'throw' })
        expect.unreachable()
      } catch (error) {
        expect(BudgetValidationError.isInstance(error)).toBe(true)
        expect((error as BudgetValidationError).field).toBe('onExceeded')
      }
    })
  })

  describe('wrapModelCall', () => {
    it('should show the warning in the system message of the next call exactly once after the crossing', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const model = fakeModel()
        .respond(toolCall(700, 100)) // 800 of 1000: crosses 75%
        .respond(toolCall(20, 5))
        .respond(answer(20, 5))
      const agent = createAgent({
        model,
        tools: [search],
        systemPrompt: 'You are a researcher.',
        middleware: [agentBudgetMiddleware({ budget, defaultMaxOutputTokens: 10 })],
      })

      const result = await run(agent, 't-1')

      const texts = systemTexts(model)
      expect(texts).toHaveLength(3)
      expect(texts.every((text) => text.startsWith('You are a researcher.'))).toBe(true)
      expect(texts.map((text) => text.includes('[Budget warning]'))).toEqual([false, true, false])
      expect(texts[1]).toContain('used 80%')
      // Not persisted into the conversation state.
      expect(result.messages.some((message) => message.text.includes('[Budget warning]'))).toBe(false)
      expect(await threadStatus(budget, 't-1')).toMatchObject({ used: 850, reserved: 0 })
    })

    it("should end the run gracefully with an explanatory message with onExceeded: 'finish'", async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 500 }] })
      const model = fakeModel().respond(toolCall(400, 80)).respond(answer(10, 5))
      const agent = createAgent({
        model,
        tools: [search],
        middleware: [
          agentBudgetMiddleware({
            budget,
            defaultMaxOutputTokens: 50,
            onExceeded: 'finish',
            exceededText: formatExceededMessage,
          }),
        ],
      })

      const result = await run(agent, 't-1')

      expect(model.callCount).toBe(1)
      const last = result.messages.at(-1)!
      expect(last.type).toBe('ai')
      expect(last.text).toContain(
        "I have to stop here: this conversation's budget cannot cover the next step",
      )
      expect((last.response_metadata as any).tokenwarden.exceeded).toMatchObject({
        scope: 'thread',
        scopeId: 't-1',
      })
      expect(result.messages.map((message) => message.type)).toEqual(['human', 'ai', 'tool', 'ai'])
      expect(await threadStatus(budget, 't-1')).toMatchObject({ used: 480, reserved: 0 })
    })

    it('should give a second thread its own thread budget', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 500 }] })
      const model = fakeModel().respond(toolCall(400, 80)).respond(toolCall(400, 80)).respond(answer(1, 1))
      const agent = createAgent({
        model,
        tools: [search],
        checkpointer: new MemorySaver(),
        middleware: [agentBudgetMiddleware({ budget, defaultMaxOutputTokens: 10, onExceeded: 'finish' })],
      })

      const first = await run(agent, 'thread-a')
      const second = await run(agent, 'thread-b')

      expect(first.messages.at(-1)!.text).toContain('budget')
      expect(second.messages.at(-1)!.text).toContain('budget')
      expect((first.messages.at(-1)!.response_metadata as any).tokenwarden.exceeded.scopeId).toBe('thread-a')
      expect((second.messages.at(-1)!.response_metadata as any).tokenwarden.exceeded.scopeId).toBe('thread-b')
      expect(model.callCount).toBe(2)
      expect(await threadStatus(budget, 'thread-a')).toMatchObject({ used: 480, reserved: 0 })
      expect(await threadStatus(budget, 'thread-b')).toMatchObject({ used: 480, reserved: 0 })
    })

    it("should throw the BudgetExceededError (as the MiddlewareError's cause) by default", async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 500 }] })
      const model = fakeModel().respond(toolCall(400, 80)).respond(answer(1, 1))
      const agent = createAgent({
        model,
        tools: [search],
        middleware: [agentBudgetMiddleware({ budget, defaultMaxOutputTokens: 50 })],
      })

      const error = await run(agent, 't-1').catch((caught) => caught)

      expect(BudgetExceededError.isInstance(error.cause)).toBe(true)
      expect(error.cause).toMatchObject({ scope: 'thread', scopeId: 't-1' })
      expect(model.callCount).toBe(1)
    })

    it('should refuse a run without a thread id with MissingScopeError (the cause) before the model runs', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const model = fakeModel().respond(answer(1, 1))
      const agent = createAgent({ model, tools: [search], middleware: [agentBudgetMiddleware({ budget })] })

      const error = await agent
        .invoke({ messages: [new HumanMessage('Research budgets')] })
        .catch((caught: unknown) => caught)

      // createAgent wraps what a middleware throws in a MiddlewareError
      const missing = (error as { cause?: unknown }).cause
      expect(MissingScopeError.isInstance(missing)).toBe(true)
      expect((missing as Error).message).toContain('configurable: { thread_id }')
      expect(model.callCount).toBe(0)
    })

    it('should release the reservation when the model call fails', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const model = fakeModel().respond(new Error('provider down'))
      const agent = createAgent({ model, tools: [search], middleware: [agentBudgetMiddleware({ budget })] })

      await expect(run(agent, 't-1')).rejects.toThrow('provider down')

      expect(await threadStatus(budget, 't-1')).toMatchObject({ used: 0, reserved: 0 })
    })

    it('should take scopes from the run metadata and settle estimated usage when none is reported', async () => {
      const budget = createBudget({ limits: [{ scope: 'user', tokens: 10_000 }] })
      const settled: { context: object; estimated: boolean }[] = []
      budget.on('settled', (event) => settled.push(event))
      const model = fakeModel().respond(new AIMessage('A short answer.'))
      const agent = createAgent({
        model,
        tools: [],
        middleware: [agentBudgetMiddleware({ budget, context: { agent: 'writer' } })],
      })

      await agent.invoke(
        { messages: [new HumanMessage('Hi')] },
        { configurable: { thread_id: 't-7' }, metadata: { tokenwarden: { user: 'u-42' } } },
      )

      expect(settled).toEqual([
        expect.objectContaining({
          context: { agent: 'writer', thread: 't-7', user: 'u-42' },
          estimated: true,
        }),
      ])
      const [status] = await budget.status({ user: 'u-42' })
      expect(status!.used).toBeGreaterThan(0)
    })
    it('should settle NaN usage_metadata from the estimate, never as 0, and report it', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const settled: BudgetEvents['settled'][] = []
      const rejected: BudgetEvents['usageRejected'][] = []
      budget.on('settled', (event) => settled.push(event))
      budget.on('usageRejected', (event) => rejected.push(event))
      const model = fakeModel().respond(
        new AIMessage({
          content: 'x'.repeat(40),
          usage_metadata: { input_tokens: Number.NaN, output_tokens: -1, total_tokens: 0 },
        }),
      )
      const agent = createAgent({ model, tools: [], middleware: [agentBudgetMiddleware({ budget })] })

      await agent.invoke({ messages: [new HumanMessage('Hi')] }, { configurable: { thread_id: 't-8' } })

      expect(settled).toHaveLength(1)
      expect(settled[0]).toMatchObject({ estimated: true, usage: { outputTokens: 10, estimatedRequests: 1 } })
      expect(settled[0]!.usage.inputTokens).toBeGreaterThan(0)
      expect(rejected).toEqual([
        expect.objectContaining({ context: { thread: 't-8' }, fields: ['inputTokens', 'outputTokens'] }),
      ])
    })
  })

  describe('beforeModel', () => {
    it('should add the warning to the conversation state once with persistWarnings', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const model = fakeModel().respond(toolCall(700, 100)).respond(toolCall(20, 5)).respond(answer(20, 5))
      const agent = createAgent({
        model,
        tools: [search],
        middleware: [agentBudgetMiddleware({ budget, defaultMaxOutputTokens: 10, persistWarnings: true })],
      })

      const result = await run(agent, 't-1')

      const warnings = result.messages.filter((message) => message.text.includes('[Budget warning]'))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]!.type).toBe('system')
      expect(systemTexts(model).some((text) => text.includes('[Budget warning]'))).toBe(false)
    })
  })
})
