import { AIMessage, type BaseMessage, HumanMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { Command, MemorySaver } from '@langchain/langgraph'
import { type Budget, BudgetValidationError, createBudget, type PriceSource } from '@tokenwarden/core'
import { createAgent, tool } from 'langchain'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { agentBudgetMiddleware } from './agent-budget-middleware.ts'
import type { BudgetInterrupt } from './ask-for-budget.ts'
import { formatExceededMessage } from './format-exceeded-message.ts'

const search = tool(async ({ query }: { query: string }) => `results for ${query}`, {
  name: 'search',
  description: 'Searches the web.',
  schema: z.object({ query: z.string() }),
})

function usage(inputTokens: number, outputTokens: number) {
  return { input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: inputTokens + outputTokens }
}

const searched = () =>
  new AIMessage({
    content: '',
    tool_calls: [{ name: 'search', args: { query: 'budgets' }, id: 'call-1' }],
    usage_metadata: usage(400, 80),
  })
const answered = () => new AIMessage({ content: 'Done.', usage_metadata: usage(10, 5) })

interface Result {
  messages: BaseMessage[]
  __interrupt__?: { id?: string; value: BudgetInterrupt }[]
}

type Limits = Parameters<typeof createBudget>[0]['limits']

/** $1 per thousand tokens, in or out. */
const perThousand: PriceSource = {
  cost: (model, usage) => (model === 'priced' ? (usage.inputTokens + usage.outputTokens) / 1000 : undefined),
}

/** A checkpointer that fails to save the next interrupt once (as a crash before the write would). */
class InterruptLosingSaver extends MemorySaver {
  loseNextInterrupt = false
  override async putWrites(...args: Parameters<MemorySaver['putWrites']>): Promise<void> {
    if (this.loseNextInterrupt && args[1].some(([channel]) => channel === '__interrupt__')) {
      this.loseNextInterrupt = false
      throw new Error('checkpointer down')
    }
    return super.putWrites(...args)
  }
}

/**
 * An agent whose first model call (a tool call) settles 480 tokens, so that its second call (50 output
 * tokens reserved) does not fit a 500-token thread limit.
 */
function pausable({
  limits = [{ scope: 'thread', tokens: 500 }],
  context = {},
  prices,
}: {
  limits?: Limits
  context?: Record<string, string>
  prices?: PriceSource
} = {}) {
  const budget = createBudget({ limits, prices })
  const checkpointer = new InterruptLosingSaver()
  const model = fakeModel().respond(searched).respond(answered)
  const agent = createAgent({
    model,
    tools: [search],
    checkpointer,
    middleware: [
      agentBudgetMiddleware({
        budget,
        context,
        modelId: prices === undefined ? undefined : 'priced',
        defaultMaxOutputTokens: 50,
        onExceeded: 'interrupt',
        exceededText: formatExceededMessage,
      }),
    ],
  })
  const config = { configurable: { thread_id: 't-1' } }
  return {
    budget,
    model,
    checkpointer,
    start: () =>
      agent.invoke({ messages: [new HumanMessage('Research budgets')] }, config) as Promise<Result>,
    resume: (resume: unknown) => agent.invoke(new Command({ resume }), config) as Promise<Result>,
  }
}

async function statusOf(budget: Budget, scope: string, context: Record<string, string> = { thread: 't-1' }) {
  const statuses = await budget.status(context)
  return statuses.find((status) => status.scope === scope)!
}

function pausedOn(result: Result): BudgetInterrupt {
  expect(result.__interrupt__).toHaveLength(1)
  return result.__interrupt__![0]!.value
}

describe('agentBudgetMiddleware', () => {
  describe("onExceeded: 'interrupt'", () => {
    it('should pause the run with the refusal and its shortfall, no prompt text, and call no model', async () => {
      const { budget, model, start } = pausable()

      const result = await start()

      const value = pausedOn(result)
      expect(value).toMatchObject({
        code: 'budget_exceeded',
        scope: 'thread',
        scopeId: 't-1',
        unit: 'tokens',
        limit: 500,
        used: 480,
        reserved: 0,
        remaining: 20,
        period: 'none',
        resetsAt: null,
      })
      expect(value.limitName).toEqual(expect.any(String))
      expect(value.requested).toBeGreaterThan(50)
      expect(value.shortfall).toBe(value.requested - 20)
      expect(value.message).toContain(`Resume with { extend: { tokens: ${value.shortfall} } }`)
      expect(value.message).toContain('{ stop: true }')
      expect(JSON.stringify(value)).not.toMatch(/Research|budgets|results for/)
      expect(model.callCount).toBe(1)
      expect(result.messages.map((message) => message.type)).toEqual(['human', 'ai', 'tool'])
      expect(await statusOf(budget, 'thread')).toMatchObject({ used: 480, reserved: 0 })
    })

    it('should grant an extend to the thread and make the call, settled exactly', async () => {
      const { budget, model, start, resume } = pausable()
      await start()

      const result = await resume({ extend: { tokens: 5000 } })

      expect(result.__interrupt__).toBeUndefined()
      expect(result.messages.at(-1)!.text).toBe('Done.')
      expect(model.callCount).toBe(2)
      expect(await statusOf(budget, 'thread')).toMatchObject({
        granted: 5000,
        limit: 5500,
        used: 480 + 15,
        reserved: 0,
      })
    })

    it('should end the run with the exceeded text on stop, granting nothing', async () => {
      const { budget, model, start, resume } = pausable()
      const paused = pausedOn(await start())

      const result = await resume({ stop: true })

      const last = result.messages.at(-1)!
      expect(last.type).toBe('ai')
      expect(last.text).toContain(
        "I have to stop here: this conversation's budget cannot cover the next step",
      )
      expect((last.response_metadata as any).tokenwarden.exceeded).toMatchObject({
        scope: 'thread',
        scopeId: 't-1',
        remaining: 20,
        requested: paused.requested,
      })
      expect(result.__interrupt__).toBeUndefined()
      expect(model.callCount).toBe(1)
      expect(await statusOf(budget, 'thread')).toMatchObject({
        granted: 0,
        limit: 500,
        used: 480,
        reserved: 0,
      })
    })

    it('should interrupt again with the new figures when the extend is not enough', async () => {
      const { budget, model, start, resume } = pausable()
      const first = pausedOn(await start())

      const second = pausedOn(await resume({ extend: { tokens: 5 } }))

      expect(second).toMatchObject({
        scope: 'thread',
        limit: 505,
        granted: 5,
        remaining: 25,
        requested: first.requested,
        shortfall: first.shortfall - 5,
      })
      expect(model.callCount).toBe(1)
      expect(await statusOf(budget, 'thread')).toMatchObject({ granted: 5, used: 480, reserved: 0 })
    })

    it('should grant each answer once when LangGraph replays the earlier ones (two interrupts in a row)', async () => {
      const { budget, model, start, resume } = pausable()
      await start()
      await resume({ extend: { tokens: 5 } }) // not enough: interrupts again

      // The node re-runs: the first interrupt returns its answer (5) again, then the second gets 5000.
      const result = await resume({ extend: { tokens: 5000 } })

      expect(result.messages.at(-1)!.text).toBe('Done.')
      expect(model.callCount).toBe(2)
      expect(await statusOf(budget, 'thread')).toMatchObject({ granted: 5005, limit: 5505, used: 495 })
    })

    it('should grant an answer once when its step runs again from the same checkpoint', async () => {
      const { budget, model, checkpointer, start, resume } = pausable()
      await start()
      checkpointer.loseNextInterrupt = true

      // The grant is applied, the retry refused, and the second interrupt lost: the step fails.
      await expect(resume({ extend: { tokens: 5 } })).rejects.toThrow('checkpointer down')
      expect(await statusOf(budget, 'thread')).toMatchObject({ granted: 5 })
      // Answered again, the step runs again from the same checkpoint: the same grant id adds nothing.
      const again = pausedOn(await resume({ extend: { tokens: 5 } }))

      expect(again).toMatchObject({ granted: 5, remaining: 25 })
      expect(model.callCount).toBe(1)
      expect(await statusOf(budget, 'thread')).toMatchObject({ granted: 5, limit: 505 })
    })

    it('should grant a replayed answer once when the replayed refusal comes from another scope', async () => {
      const limits: Limits = [
        { scope: 'thread', tokens: 500 },
        { scope: 'user', tokens: 510 },
      ]
      const { budget, start, resume } = pausable({ limits, context: { user: 'u-1' } })
      const context = { thread: 't-1', user: 'u-1' }
      expect(pausedOn(await start()).scope).toBe('thread')

      // The thread gets 3000; the retry is refused by the user limit.
      expect(pausedOn(await resume({ extend: { tokens: 3000 } })).scope).toBe('user')
      // On this resume the step re-runs and the user limit refuses first: the replayed 3000 is not
      // granted (to the user); the new answer is.
      const result = await resume({ extend: { tokens: 700 } })

      expect(result.messages.at(-1)!.text).toBe('Done.')
      expect(await statusOf(budget, 'thread', context)).toMatchObject({ granted: 3000, used: 495 })
      expect(await statusOf(budget, 'user', context)).toMatchObject({ granted: 700, used: 495 })
    })

    it('should refuse a malformed answer with a BudgetValidationError naming the field, then take the next one', async () => {
      const { budget, model, start, resume } = pausable()
      await start()

      const error = await resume({ extend: { token: 5000 } }).catch((caught: unknown) => caught)

      const cause = (error as { cause?: unknown }).cause
      expect(BudgetValidationError.isInstance(cause)).toBe(true)
      expect((cause as BudgetValidationError).field).toBe('resume.extend.token')
      expect(model.callCount).toBe(1)
      expect(await statusOf(budget, 'thread')).toMatchObject({ granted: 0, reserved: 0 })

      // Not treated as stop, and the interrupt can be answered again.
      const result = await resume({ extend: { tokens: 5000 } })

      expect(result.messages.at(-1)!.text).toBe('Done.')
      expect(await statusOf(budget, 'thread')).toMatchObject({ granted: 5000, used: 495 })
    })

    it('should refuse an extend in a unit the refusing scope does not limit, then take the next answer', async () => {
      const { budget, start, resume } = pausable()
      await start()

      const error = await resume({ extend: { costUsd: 1 } }).catch((caught: unknown) => caught)

      const cause = (error as { cause?: unknown }).cause
      expect(BudgetValidationError.isInstance(cause)).toBe(true)
      expect((cause as BudgetValidationError).message).toContain('costUsd')
      const result = await resume({ extend: { tokens: 5000 } })
      expect(result.messages.at(-1)!.text).toBe('Done.')
      expect(await statusOf(budget, 'thread')).toMatchObject({ granted: 5000, used: 495 })
    })

    it.each([
      ['continue', 'resume'],
      [42, 'resume'],
      [{}, 'resume'],
      [{ stop: 'yes' }, 'resume.stop'],
      [{ stop: true, extend: { tokens: 1 } }, 'resume'],
      [{ extend: { tokens: 1 }, note: 'ok' }, 'resume.note'],
      [{ extend: 5000 }, 'resume.extend'],
      [{ extend: {} }, 'resume.extend'],
      [{ extend: { tokens: -5 } }, 'resume.extend.tokens'],
      [{ extend: { tokens: 1.5 } }, 'resume.extend.tokens'],
      [{ extend: { costUsd: Number.NaN } }, 'resume.extend.costUsd'],
      [{ extend: { requests: '2' } }, 'resume.extend.requests'],
    ])('should name the field of the malformed answer %j (%s)', async (answer, field) => {
      const { model, start, resume } = pausable()
      await start()

      const error = await resume(answer).catch((caught: unknown) => caught)

      expect((error as { cause?: BudgetValidationError }).cause?.field).toBe(field)
      expect(model.callCount).toBe(1)
    })

    it('should grant a costUsd extend to a cost limit', async () => {
      const { budget, model, start, resume } = pausable({
        limits: [{ scope: 'thread', costUsd: 0.5 }],
        prices: perThousand,
      })
      const paused = pausedOn(await start())

      expect(paused).toMatchObject({ unit: 'costUsd', limit: 0.5 })
      expect(paused.remaining).toBeCloseTo(0.02, 9)
      expect(paused.shortfall).toBeCloseTo(paused.requested - paused.remaining, 9)
      const result = await resume({ extend: { costUsd: 1 } })

      expect(result.messages.at(-1)!.text).toBe('Done.')
      expect(model.callCount).toBe(2)
      expect(await statusOf(budget, 'thread')).toMatchObject({ granted: 1, limit: 1.5 })
    })
  })

  describe('options', () => {
    it("should accept onExceeded: 'interrupt' and name 'interrupt' among the modes of a bad one", () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      expect(() => agentBudgetMiddleware({ budget, onExceeded: 'interrupt' })).not.toThrow()
      expect(() => agentBudgetMiddleware({ budget, onExceeded: 'pause' as 'interrupt' })).toThrow(
        "'throw' or 'finish' or 'interrupt'",
      )
    })
  })
})
