import { AIMessage, type BaseMessage, HumanMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { type BudgetEvents, createBudget } from '@tokenwarden/core'
import { createAgent, modelRetryMiddleware } from 'langchain'
import { describe, expect, it } from 'vitest'
import { agentBudgetMiddleware } from './agent-budget-middleware.ts'

const thread = { thread: 't-1' }

function answer(inputTokens: number, outputTokens: number) {
  return () =>
    new AIMessage({
      content: 'Done.',
      usage_metadata: {
        input_tokens: inputTokens,
        output_tokens: outputTokens,
        total_tokens: inputTokens + outputTokens,
      },
    })
}

function systemTexts(model: ReturnType<typeof fakeModel>): string[] {
  return model.calls.map((call) => {
    const first = call.messages[0] as BaseMessage | undefined
    return first?.type === 'system' ? first.text : ''
  })
}

/** A transient provider error, retried by class. */
class TransientError extends Error {
  override name = 'TransientError'
}

function run(agent: { invoke: (input: any, config?: any) => Promise<{ messages: BaseMessage[] }> }) {
  return agent.invoke(
    { messages: [new HumanMessage('Research budgets')] },
    { configurable: { thread_id: thread.thread } },
  )
}

describe('agentBudgetMiddleware lifecycle', () => {
  describe('wrapModelCall', () => {
    it('should show a warning shown in a call that failed again on the next call', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      await budget.record(thread, { inputTokens: 800, outputTokens: 0 }) // crosses 75%: a warning is pending
      const model = fakeModel().respond(new Error('provider down')).respond(answer(20, 5))
      const agent = createAgent({
        model,
        tools: [],
        middleware: [agentBudgetMiddleware({ budget, defaultMaxOutputTokens: 10 })],
      })

      await expect(run(agent)).rejects.toThrow('provider down')
      await run(agent)

      expect(systemTexts(model).map((text) => text.includes('[Budget warning]'))).toEqual([true, true])
      expect(await budget.status(thread)).toMatchObject([{ used: 825, reserved: 0 }])
    })
  })

  describe('options', () => {
    it('should show a status line with injectStatus and no warning with injectWarnings: false', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      await budget.record(thread, { inputTokens: 800, outputTokens: 0 })
      const model = fakeModel().respond(answer(20, 5))
      const agent = createAgent({
        model,
        tools: [],
        systemPrompt: 'Be brief.',
        middleware: [
          agentBudgetMiddleware({
            budget,
            injectWarnings: false,
            injectStatus: true,
            defaultMaxOutputTokens: 10,
          }),
        ],
      })

      await run(agent)

      const [system] = systemTexts(model)
      expect(system).toContain('Be brief.')
      expect(system).toContain('[Budget status]')
      expect(system).not.toContain('[Budget warning]')
      expect(budget.takeWarnings(thread)).toHaveLength(1) // still pending: it was not shown
    })

    it('should charge modelId, reserve defaultMaxOutputTokens without sending it, and throw by default', async () => {
      const budget = createBudget({
        limits: [{ scope: 'thread', tokens: 1000 }],
        prices: { models: { 'my-model': { inputPerMillion: 1, outputPerMillion: 1 } } },
      })
      const reserved: BudgetEvents['reserved'][] = []
      budget.on('reserved', (event) => reserved.push(event))
      const model = fakeModel().respond(answer(20, 5)).respond(answer(1, 1))
      const agent = createAgent({
        model,
        tools: [],
        middleware: [agentBudgetMiddleware({ budget, modelId: 'my-model', defaultMaxOutputTokens: 980 })],
      })

      await run(agent)
      const error = await run(agent).catch((caught: Error) => caught)

      expect(reserved[0]).toMatchObject({ model: 'my-model', amount: { outputTokens: 980 } })
      expect(model.calls[0]!.options).not.toHaveProperty('max_tokens')
      expect((error as { cause?: { code?: string } }).cause?.code).toBe('budget_exceeded')
      expect(model.callCount).toBe(1) // the refused call never reached the model
    })
  })

  describe('with modelRetryMiddleware', () => {
    it('should let a retry middleware placed after it retry a transient error by class, budgeting the call once', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const reserved: BudgetEvents['reserved'][] = []
      const settled: BudgetEvents['settled'][] = []
      budget.on('reserved', (event) => reserved.push(event))
      budget.on('settled', (event) => settled.push(event))
      const model = fakeModel().respond(new TransientError('rate limited')).respond(answer(40, 10))
      const agent = createAgent({
        model,
        tools: [],
        middleware: [
          agentBudgetMiddleware({ budget }),
          modelRetryMiddleware({
            maxRetries: 2,
            retryOn: [TransientError],
            initialDelayMs: 0,
            jitter: false,
          }),
        ],
      })

      const result = await run(agent)

      expect(result.messages.at(-1)!.text).toBe('Done.')
      expect(model.callCount).toBe(2)
      // One reservation covers the retried call; the attempt that answered is what is settled.
      expect(reserved).toHaveLength(1)
      expect(settled).toEqual([
        expect.objectContaining({ estimated: false, usage: expect.objectContaining({ tokens: 50 }) }),
      ])
      expect(await budget.status(thread)).toMatchObject([{ used: 50, reserved: 0 }])
    })

    it('should hide the error class from a retry middleware placed before it (LangChain wraps it in MiddlewareError)', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const model = fakeModel().respond(new TransientError('rate limited')).respond(answer(40, 10))
      const agent = createAgent({
        model,
        tools: [],
        middleware: [
          modelRetryMiddleware({
            maxRetries: 2,
            retryOn: [TransientError],
            initialDelayMs: 0,
            jitter: false,
            onFailure: 'error',
          }),
          agentBudgetMiddleware({ budget }),
        ],
      })

      const error = await run(agent).catch((caught: Error) => caught)

      expect(model.callCount).toBe(1) // not retried: the retry middleware saw a MiddlewareError
      expect((error as { cause?: unknown }).cause).toBeDefined()
      expect(await budget.status(thread)).toMatchObject([{ used: 0, reserved: 0 }])
    })
  })
})
