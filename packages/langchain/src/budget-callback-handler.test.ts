import { AIMessage, HumanMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import {
  type Budget,
  type BudgetEvents,
  BudgetExceededError,
  BudgetValidationError,
  createBudget,
  MissingScopeError,
} from '@tokenwarden/core'
import { createAgent } from 'langchain'
import { describe, expect, it, vi } from 'vitest'
import { agentBudgetMiddleware } from './agent-budget-middleware.ts'
import { BudgetCallbackHandler } from './budget-callback-handler.ts'

function reply(
  inputTokens: number,
  outputTokens: number,
  details: Partial<AIMessage['usage_metadata']> = {},
) {
  return new AIMessage({
    content: 'ok',
    usage_metadata: {
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      total_tokens: inputTokens + outputTokens,
      ...details,
    },
  })
}

function settledEvents(budget: Budget): BudgetEvents['settled'][] {
  const events: BudgetEvents['settled'][] = []
  budget.on('settled', (event) => events.push(event))
  return events
}

async function reservedTokens(budget: Budget, context: Record<string, string>): Promise<number> {
  const statuses = await budget.status(context)
  return statuses.reduce((sum, status) => sum + status.reserved, 0)
}

describe('BudgetCallbackHandler', () => {
  describe('constructor', () => {
    it('should refuse a missing budget with a BudgetValidationError naming the field', () => {
      try {
        new BudgetCallbackHandler({ budget: {} as Budget })
        expect.unreachable()
      } catch (error) {
        expect(BudgetValidationError.isInstance(error)).toBe(true)
        expect((error as BudgetValidationError).field).toBe('budget')
      }
    })

    it('should refuse a fractional defaultMaxOutputTokens', () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      expect(() => new BudgetCallbackHandler({ budget, defaultMaxOutputTokens: 1.5 })).toThrow(
        /defaultMaxOutputTokens/,
      )
    })
  })

  describe('handleChatModelStart', () => {
    it('should block the call that would overspend before the model runs', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const handler = new BudgetCallbackHandler({ budget, defaultMaxOutputTokens: 200 })
      const model = fakeModel().respond(reply(300, 200)).respond(reply(300, 200)).respond(reply(1, 1))
      const config = { callbacks: [handler], metadata: { thread_id: 't-1' } }

      await model.invoke([new HumanMessage('first')], config)
      await model.invoke([new HumanMessage('second')], config)
      const refused = await model.invoke([new HumanMessage('third')], config).catch((error) => error)

      expect(BudgetExceededError.isInstance(refused)).toBe(true)
      expect(refused).toMatchObject({ scope: 'thread', scopeId: 't-1', remaining: 0 })
      expect(model.callCount).toBe(2)
      expect(await reservedTokens(budget, { thread: 't-1' })).toBe(0)
    })

    it('should settle negative usage_metadata from the estimate, never as 0, and report it', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const events = settledEvents(budget)
      const rejected: BudgetEvents['usageRejected'][] = []
      budget.on('usageRejected', (event) => rejected.push(event))
      const handler = new BudgetCallbackHandler({ budget, defaultMaxOutputTokens: 100 })
      const model = fakeModel().respond(
        new AIMessage({
          content: 'x'.repeat(40),
          usage_metadata: { input_tokens: -500, output_tokens: -50, total_tokens: -550 },
        }),
      )

      await model.invoke([new HumanMessage('y'.repeat(40))], {
        callbacks: [handler],
        metadata: { thread_id: 't-1' },
      })

      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({ estimated: true, usage: { outputTokens: 10, estimatedRequests: 1 } })
      expect(events[0]!.usage.inputTokens).toBeGreaterThanOrEqual(10)
      expect(rejected).toEqual([
        expect.objectContaining({ context: { thread: 't-1' }, fields: ['inputTokens', 'outputTokens'] }),
      ])
      expect(await reservedTokens(budget, { thread: 't-1' })).toBe(0)
    })

    it('should refuse a call without a thread id with MissingScopeError before the model runs', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const handler = new BudgetCallbackHandler({ budget, context: { agent: 'a' } })
      const model = fakeModel().respond(reply(1, 1))

      const error = await model.invoke('hi', { callbacks: [handler] }).catch((caught: unknown) => caught)

      expect(MissingScopeError.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ scope: 'thread', limitName: 'thread/none' })
      expect(model.callCount).toBe(0)
    })

    it('should merge the options context, metadata.thread_id and metadata.tokenwarden', async () => {
      const budget = createBudget({
        limits: [
          { scope: 'thread', tokens: 10_000 },
          { scope: 'user', tokens: 10_000 },
        ],
      })
      const events = settledEvents(budget)
      const handler = new BudgetCallbackHandler({ budget, context: { agent: 'a', user: 'default' } })
      const model = fakeModel().respond(reply(10, 5))

      await model.invoke('hi', {
        callbacks: [handler],
        metadata: { thread_id: 't-9', tokenwarden: { user: 'u-42' } },
      })

      expect(events[0]?.context).toEqual({ agent: 'a', user: 'u-42', thread: 't-9' })
      const user = await budget.status({ user: 'u-42' })
      expect(user[0]?.used).toBe(15)
    })

    it("should take the thread from LangGraph's configurable.thread_id inside an agent", async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const events = settledEvents(budget)
      const model = fakeModel().respond(reply(10, 5))
      const agent = createAgent({ model, tools: [] })

      await agent.invoke(
        { messages: [new HumanMessage('hi')] },
        {
          callbacks: [new BudgetCallbackHandler({ budget, defaultMaxOutputTokens: 100 })],
          configurable: { thread_id: 'graph-thread' },
        },
      )

      expect(events.map((event) => event.context)).toEqual([{ thread: 'graph-thread' }])
      const [status] = await budget.status({ thread: 'graph-thread' })
      expect(status).toMatchObject({ used: 15, reserved: 0 })
    })

    it('should refuse a metadata.tokenwarden scope that is not a string, naming the field', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const model = fakeModel().respond(reply(1, 1))
      const error = await model
        .invoke('hi', {
          callbacks: [new BudgetCallbackHandler({ budget })],
          metadata: { tokenwarden: { user: 42 } },
        })
        .catch((caught) => caught)

      expect(BudgetValidationError.isInstance(error)).toBe(true)
      expect(error.field).toBe('metadata.tokenwarden.user')
      expect(model.callCount).toBe(0)
    })

    it('should let at most 25 of 100 concurrent calls reach the model on a budget that affords 25', async () => {
      const budget = createBudget({ limits: [{ scope: 'global', requests: 25 }] })
      const handler = new BudgetCallbackHandler({ budget })
      const model = fakeModel()
      for (let i = 0; i < 100; i++) model.respond(reply(10, 5))

      const results = await Promise.allSettled(
        Array.from({ length: 100 }, (_, i) => model.invoke(`call ${i}`, { callbacks: [handler] })),
      )

      const refused = results.filter(
        (result) => result.status === 'rejected' && BudgetExceededError.isInstance(result.reason),
      )
      expect(model.callCount).toBe(25)
      expect(refused).toHaveLength(75)
      expect(handler.openRuns).toBe(0)
      const [status] = await budget.status({})
      expect(status).toMatchObject({ used: 25, reserved: 0 })
    })

    it('should let at most 25 of 100 concurrent calls through a token budget that affords 25', async () => {
      // Each call reserves 4 input tokens (message overhead, texts count 0) + 100 output and reports the same.
      const budget = createBudget({
        limits: [{ scope: 'global', tokens: 25 * 104 }],
        estimator: { count: () => 0 },
      })
      const handler = new BudgetCallbackHandler({ budget, defaultMaxOutputTokens: 100 })
      const model = fakeModel()
      for (let i = 0; i < 100; i++) model.respond(reply(4, 100))

      await Promise.allSettled(
        Array.from({ length: 100 }, (_, i) => model.invoke(`c${i}`, { callbacks: [handler] })),
      )

      expect(model.callCount).toBe(25)
      const [status] = await budget.status({})
      expect(status).toMatchObject({ used: 25 * 104, reserved: 0 })
    })
  })

  describe('options', () => {
    it('should charge modelId and reserve defaultMaxOutputTokens for a call that sets no maximum', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const reserved: BudgetEvents['reserved'][] = []
      budget.on('reserved', (event) => reserved.push(event))
      const events = settledEvents(budget)
      const handler = new BudgetCallbackHandler({ budget, modelId: 'my-model', defaultMaxOutputTokens: 321 })

      await fakeModel()
        .respond(reply(10, 5))
        .invoke('hi', { callbacks: [handler], metadata: { tokenwarden: { thread: 't' } } })

      expect(reserved[0]).toMatchObject({ model: 'my-model', amount: { outputTokens: 321 } })
      expect(events[0]).toMatchObject({ model: 'my-model', context: { thread: 't' } })
    })
  })

  describe('handleLLMEnd', () => {
    it('should settle the exact usage_metadata, cached and reasoning tokens included', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const events = settledEvents(budget)
      const model = fakeModel().respond(
        reply(120, 40, { input_token_details: { cache_read: 100 }, output_token_details: { reasoning: 30 } }),
      )

      await model.invoke('hi', {
        callbacks: [new BudgetCallbackHandler({ budget })],
        metadata: { thread_id: 't' },
      })

      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({
        estimated: false,
        usage: {
          tokens: 160,
          inputTokens: 120,
          outputTokens: 40,
          cachedInputTokens: 100,
          reasoningTokens: 30,
        },
      })
      const [status] = await budget.status({ thread: 't' })
      expect(status).toMatchObject({ used: 160, reserved: 0 })
    })

    it('should settle an estimate marked as such when the model reports no usage', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const events = settledEvents(budget)
      const model = fakeModel().respond(new AIMessage('a reply of about eight tokens long'))

      await model.invoke('hi', {
        callbacks: [new BudgetCallbackHandler({ budget, context: { thread: 't' } })],
      })

      expect(events).toHaveLength(1)
      expect(events[0]!.estimated).toBe(true)
      expect(events[0]!.usage.outputTokens).toBeGreaterThan(0)
      expect(events[0]!.usage.estimatedRequests).toBe(1)
    })

    it('should queue and emit the warning a settle crosses', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const warnings: string[] = []
      budget.on('warning', (warning) => warnings.push(warning.message))
      const model = fakeModel().respond(reply(700, 100))

      await model.invoke('hi', {
        callbacks: [new BudgetCallbackHandler({ budget, defaultMaxOutputTokens: 100 })],
        metadata: { thread_id: 't' },
      })

      expect(warnings).toHaveLength(1)
      expect(budget.takeWarnings({ thread: 't' }).map((warning) => warning.message)).toEqual(warnings)
    })
  })

  describe('handleLLMError', () => {
    it('should leave 0 reserved after the model throws', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const released: string[] = []
      budget.on('released', (event) => released.push(event.reservationId))
      const handler = new BudgetCallbackHandler({ budget, context: { thread: 't' } })
      const model = fakeModel().respond(new Error('provider down')).respond(reply(10, 5))

      await expect(model.invoke('hi', { callbacks: [handler] })).rejects.toThrow('provider down')
      await model.invoke('again', { callbacks: [handler] })

      expect(released).toHaveLength(1)
      expect(handler.openRuns).toBe(0)
      const [status] = await budget.status({ thread: 't' })
      expect(status).toMatchObject({ used: 15, reserved: 0 })
    })
  })
})

describe('refusals on the console', () => {
  function captureConsole() {
    const lines: string[] = []
    const spies = [
      vi.spyOn(console, 'error').mockImplementation((...args) => void lines.push(args.join(' '))),
      vi.spyOn(console, 'warn').mockImplementation((...args) => void lines.push(args.join(' '))),
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
        lines.push(String(chunk))
        return true
      }),
    ]
    return {
      lines,
      restore: () => {
        for (const spy of spies) spy.mockRestore()
      },
    }
  }

  it("should get exactly one line from LangChain per handler refusal, which the README's filter drops", async () => {
    const budget = createBudget({ limits: [{ scope: 'global', tokens: 10 }] })
    const model = fakeModel().respond(reply(1, 1))
    const captured = captureConsole()
    try {
      const refused = await model
        .invoke('a prompt that cannot fit', { callbacks: [new BudgetCallbackHandler({ budget })] })
        .catch((error) => error)
      expect(BudgetExceededError.isInstance(refused)).toBe(true)
    } finally {
      captured.restore()
    }
    // @langchain/core logs every error of a raising handler; if this changes, revisit the README note.
    expect(captured.lines).toHaveLength(1)
    expect(captured.lines[0]).toMatch(
      /^Error in handler BudgetCallbackHandler, handleLLMStart: BudgetExceededError/,
    )

    // The filter documented in the README: the refusal still rejects, nothing is printed.
    const printed = captureConsole()
    const printError = console.error
    console.error = (...args: unknown[]) => {
      if (String(args[0]).startsWith('Error in handler BudgetCallbackHandler,')) return
      printError(...args)
    }
    try {
      const refused = await model
        .invoke('a prompt that cannot fit', { callbacks: [new BudgetCallbackHandler({ budget })] })
        .catch((error) => error)
      expect(BudgetExceededError.isInstance(refused)).toBe(true)
    } finally {
      console.error = printError
      printed.restore()
    }
    expect(printed.lines).toEqual([])
    expect(model.callCount).toBe(0)
  })

  it('should print nothing when the agent middleware refuses a call', async () => {
    const budget = createBudget({ limits: [{ scope: 'global', tokens: 10 }] })
    const model = fakeModel().respond(reply(1, 1))
    const agent = createAgent({
      model,
      tools: [],
      middleware: [agentBudgetMiddleware({ budget, onExceeded: 'finish' })],
    })
    const captured = captureConsole()
    let result: Awaited<ReturnType<typeof agent.invoke>>
    try {
      result = await agent.invoke({ messages: [new HumanMessage('a prompt that cannot fit')] })
    } finally {
      captured.restore()
    }
    expect((result.messages.at(-1)!.response_metadata as any).tokenwarden.exceeded).toBeDefined()
    expect(captured.lines).toEqual([])
    expect(model.callCount).toBe(0)
  })
})
