import {
  Agent,
  type Model,
  type ModelRequest,
  OpenAIChatCompletionsModel,
  OpenAIResponsesModel,
  Runner,
  run,
  withTrace,
} from '@openai/agents'
import { BudgetExceededError, BudgetValidationError, createBudget } from '@tokenwarden/core'
import type { OpenAITestServer } from '@tokenwarden/openai-test-server'
import type OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { budgetModel } from './budget-model.ts'
import {
  budgetedRunner,
  recordSettlements,
  reservedOf,
  serverTotals,
  startServer,
  sumUsage,
  usedOf,
} from './test/agents-fixture.ts'
import { withBudgetContext } from './with-budget-context.ts'

const thread = { thread: 't-1' }

/** The SDK's models need a trace when called outside a run. */
const traced = <T>(fn: () => Promise<T>) => withTrace('test', fn)

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    systemInstructions: 'Be terse.',
    input: 'Hi',
    modelSettings: {},
    tools: [],
    handoffs: [],
    outputType: 'text',
    tracing: false,
    ...overrides,
  }
}

describe('budgetModel', () => {
  let server: OpenAITestServer
  let client: OpenAI
  beforeAll(async () => {
    ;({ server, client } = await startServer())
  })
  afterAll(() => server.close())
  beforeEach(() => server.reset())

  const models = {
    responses: () => new OpenAIResponsesModel(client, 'gpt-4o'),
    chat: () => new OpenAIChatCompletionsModel(client, 'gpt-4o'),
  }

  describe('options', () => {
    it('should reject bad options with a BudgetValidationError naming the field', () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100 }] })
      const bad = [
        [{ budget: {} }, 'budget'],
        [{ budget, context: 'thread' }, 'context'],
        [{ budget, modelId: '' }, 'modelId'],
        [{ budget, defaultMaxOutputTokens: 0 }, 'defaultMaxOutputTokens'],
        [{ budget, clamp: 'yes' }, 'clamp'],
        [{ budget, onExceeded: 'end' }, 'onExceeded'],
        [{ budget, exceededText: 'no' }, 'exceededText'],
        [{ budget, stallMs: 0 }, 'stallMs'],
      ] as const
      for (const [options, field] of bad) {
        let error: unknown
        try {
          budgetModel(models.chat(), options as never)
        } catch (caught) {
          error = caught
        }
        expect(BudgetValidationError.isInstance(error), field).toBe(true)
        expect(error).toMatchObject({ field })
      }
    })
  })

  for (const api of ['responses', 'chat'] as const) {
    describe(`with the SDK's ${api} model on the local server`, () => {
      it('should budget an agent whose model is given as a Model, run with the default run()', async () => {
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
        const settled = recordSettlements(budget)
        const model = budgetModel(models[api](), { budget, modelId: 'gpt-4o', context: thread })
        server.enqueue({ text: 'Hello there', usage: { inputTokens: 42, outputTokens: 3, cachedTokens: 10 } })
        const result = await run(new Agent({ name: 'greeter', instructions: 'Greet.', model }), 'Hi')
        expect(result.finalOutput).toBe('Hello there')
        expect(settled).toHaveLength(1)
        expect(settled[0]).toMatchObject({ context: { agent: 'greeter', thread: 't-1' }, estimated: false })
        expect(sumUsage(settled.map((event) => event.usage))).toEqual(serverTotals(server))
      })

      it('should send at most 20 requests for 100 concurrent runs on a budget for 20', async () => {
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
        const reserved: number[] = []
        budget.on('reserved', (event) => reserved.push(event.amount.inputTokens + event.amount.outputTokens))
        const model = budgetModel(models[api](), { budget, context: thread })
        const agent = new Agent({
          name: 'worker',
          instructions: 'Work.',
          model,
          modelSettings: { maxTokens: 20 },
        })
        // One call to learn what a call reserves; every later call then uses exactly that much.
        server.respondWith(() => ({ text: 'done', usage: { inputTokens: 1, outputTokens: 1 } }))
        await run(agent, 'Go')
        const perCall = reserved[0]!
        const limited = createBudget({ limits: [{ scope: 'thread', tokens: 20 * perCall }] })
        const limitedModel = budgetModel(models[api](), { budget: limited, context: thread })
        const worker = agent.clone({ model: limitedModel })
        server.reset()
        server.respondWith(() => ({ text: 'done', usage: { inputTokens: perCall - 20, outputTokens: 20 } }))
        const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => run(worker, 'Go')))
        const refused = outcomes.filter(
          (outcome) => outcome.status === 'rejected' && BudgetExceededError.isInstance(outcome.reason),
        )
        expect(server.requests.length).toBeLessThanOrEqual(20)
        expect(refused.length + server.requests.length).toBe(100)
        expect(await usedOf(limited, thread)).toBeLessThanOrEqual(20 * perCall)
        expect(await usedOf(limited, thread)).toBe(server.requests.length * perCall)
        expect(await reservedOf(limited, thread)).toBe(0)
      })

      it('should settle an aborted streamed run from what it produced, and hold nothing', async () => {
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
        const settled = recordSettlements(budget)
        const model = budgetModel(models[api](), { budget, context: thread })
        server.enqueue({
          text: 'one two three four five six seven eight nine ten',
          delayMs: 20,
          usage: { inputTokens: 50, outputTokens: 10 },
        })
        const controller = new AbortController()
        const agent = new Agent({ name: 'talker', instructions: 'Talk.', model })
        const streamed = await run(agent, 'Count', { stream: true, signal: controller.signal })
        let deltas = 0
        try {
          for await (const delta of streamed.toTextStream()) {
            if (delta.length > 0 && ++deltas === 2) controller.abort()
          }
          await streamed.completed
        } catch {
          // the abort ends the stream
        }
        await expect.poll(() => settled.length).toBe(1)
        expect(settled[0]!.estimated).toBe(true)
        expect(settled[0]!.usage.outputTokens).toBeGreaterThan(0)
        expect(settled[0]!.usage.inputTokens).toBeGreaterThan(0)
        expect(server.totals().requests).toBe(0) // the server never got to report its usage
        expect(await reservedOf(budget, thread)).toBe(0)
      })

      it('should settle a response without usage from the estimate, never as free', async () => {
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
        const settled = recordSettlements(budget)
        const model = budgetModel(models[api](), { budget, context: thread })
        server.enqueue({ text: 'a reply without usage', omitUsage: true })
        await traced(() => model.getResponse(request()))
        expect(settled).toHaveLength(1)
        expect(settled[0]!.estimated).toBe(true)
        expect(settled[0]!.usage.inputTokens).toBeGreaterThan(0)
        expect(settled[0]!.usage.outputTokens).toBeGreaterThan(0)
      })

      it('should send a clamped output limit when clamp is on and the budget is short', async () => {
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 200 }] })
        const model = budgetModel(models[api](), { budget, context: thread, clamp: true })
        server.enqueue({ text: 'short', usage: { inputTokens: 10, outputTokens: 2 } })
        await traced(() => model.getResponse(request({ modelSettings: { maxTokens: 1000 } })))
        const body = server.requests[0]!.body
        const sent = body.max_output_tokens ?? body.max_tokens ?? body.max_completion_tokens
        expect(sent).toBeGreaterThan(0)
        expect(sent).toBeLessThan(200)
      })

      it('should leave the request alone while the budget has room', async () => {
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
        const bare = models[api]()
        const model = budgetModel(models[api](), { budget, context: thread })
        server.respondWith(() => ({ text: 'same', usage: { inputTokens: 3, outputTokens: 1 } }))
        await traced(() => bare.getResponse(request({ modelSettings: { maxTokens: 64 } })))
        await traced(() => model.getResponse(request({ modelSettings: { maxTokens: 64 } })))
        const [plain, budgeted] = server.requests
        expect(budgeted!.body).toEqual(plain!.body)
      })

      it('should end a stream at its reservation when stopStreamsAtReservation is on', async () => {
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
        const settled = recordSettlements(budget)
        const model = budgetModel(models[api](), { budget, context: thread, stopStreamsAtReservation: true })
        const words = Array.from({ length: 60 }, (_, index) => `word${index}`).join(' ')
        server.enqueue({ text: words, usage: { inputTokens: 10, outputTokens: 600 } })
        const events = []
        for await (const event of model.getStreamedResponse(request({ modelSettings: { maxTokens: 5 } })))
          events.push(event)
        const done = events.at(-1)
        expect(done?.type).toBe('response_done')
        const deltas = events.filter((event) => event.type === 'output_text_delta')
        expect(deltas.length).toBeLessThan(60)
        expect(settled).toHaveLength(1)
        expect(settled[0]!.estimated).toBe(true)
      })
    })
  }

  describe('cache fields', () => {
    it('should price cache reads and writes of a Responses call at their own rates', async () => {
      const budget = createBudget({
        limits: [{ scope: 'thread', costUsd: 100 }],
        prices: {
          models: {
            'gpt-4o': {
              inputPerMillion: 1_000_000,
              outputPerMillion: 0,
              cachedInputPerMillion: 100_000,
              cacheWriteInputPerMillion: 10_000,
            },
          },
        },
      })
      const settled = recordSettlements(budget)
      const model = budgetModel(models.responses(), { budget, context: thread, modelId: 'gpt-4o' })
      server.enqueue({
        text: 'cached',
        usage: { inputTokens: 100, outputTokens: 1, cachedTokens: 60, cacheWriteTokens: 30 },
      })
      await traced(() => model.getResponse(request()))
      // 10 uncached × $1 + 60 cached × $0.10 + 30 written × $0.01 = $16.30
      expect(settled[0]!.usage.costUsd).toBeCloseTo(16.3, 6)
      expect(settled[0]!.usage.cachedInputTokens).toBe(60)
    })
  })

  describe('scopes', () => {
    it('should call a context function with the running agent, and let withBudgetContext override it', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
      const settled = recordSettlements(budget)
      const seen: (string | undefined)[] = []
      const model = budgetModel(models.chat(), {
        budget,
        context: ({ agent }) => {
          seen.push(agent)
          return { thread: 'from-function', user: 'u-1' }
        },
      })
      server.respondWith(() => ({ text: 'ok', usage: { inputTokens: 3, outputTokens: 1 } }))
      const agent = new Agent({ name: 'helper', model })
      await run(agent, 'Hi')
      await withBudgetContext({ thread: 't-2' }, () =>
        withBudgetContext({ user: 'u-2' }, () => new Runner({ tracingDisabled: true }).run(agent, 'Hi')),
      )
      expect(seen).toEqual(['helper', 'helper'])
      expect(settled.map((event) => event.context)).toEqual([
        { agent: 'helper', thread: 'from-function', user: 'u-1' },
        { agent: 'helper', thread: 't-2', user: 'u-2' },
      ])
    })

    it("should floor a call that continues a response chain by the chain's last usage", async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
      const reserved: number[] = []
      budget.on('reserved', (event) => reserved.push(event.amount.inputTokens))
      const model = budgetModel(models.responses(), { budget, context: thread })
      server.enqueue(
        { text: 'first', usage: { inputTokens: 900, outputTokens: 100 } },
        { text: 'second', usage: { inputTokens: 1010, outputTokens: 5 } },
      )
      const first = await traced(() => model.getResponse(request()))
      expect(first.responseId).toBeDefined()
      await traced(() => model.getResponse(request({ input: 'And?', previousResponseId: first.responseId })))
      expect(reserved[0]).toBeLessThan(100)
      expect(reserved[1]).toBeGreaterThanOrEqual(1000)
    })

    it('should budget each agent of a handoff under its own name through the provider', async () => {
      const budget = createBudget({
        limits: [
          { scope: 'agent', tokens: 1_000_000 },
          { scope: 'thread', tokens: 1_000_000 },
        ],
      })
      const runner = budgetedRunner(client, 'chat', { budget, context: thread })
      const writer = new Agent({ name: 'writer', instructions: 'Write.', model: 'gpt-4o' })
      const lead = new Agent({ name: 'lead', instructions: 'Delegate.', model: 'gpt-4o', handoffs: [writer] })
      server.enqueue(
        {
          toolCalls: [{ name: 'transfer_to_writer', arguments: '{}' }],
          usage: { inputTokens: 70, outputTokens: 5 },
        },
        { text: 'Written.', usage: { inputTokens: 90, outputTokens: 8 } },
      )
      expect((await runner.run(lead, 'Write it')).finalOutput).toBe('Written.')
      expect(await usedOf(budget, { agent: 'lead', ...thread })).toBe(75)
      expect(await usedOf(budget, { agent: 'writer', ...thread })).toBe(98)
    })
  })
})

describe('budgetModel in other runs', () => {
  let server: OpenAITestServer
  let client: OpenAI
  beforeAll(async () => {
    ;({ server, client } = await startServer())
  })
  afterAll(() => server.close())

  it('should budget an agent used as a tool under its own name, inside the parent run', async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
    const settled = recordSettlements(budget)
    const runner = budgetedRunner(client, 'responses', { budget })
    const summarizer = new Agent({ name: 'summarizer', instructions: 'Summarise.', model: 'gpt-4o' })
    const lead = new Agent({
      name: 'lead',
      instructions: 'Use the summarizer.',
      model: 'gpt-4o',
      tools: [summarizer.asTool({ toolName: 'summarize', toolDescription: 'Summarise a text.' })],
    })
    server.enqueue(
      {
        toolCalls: [{ name: 'summarize', arguments: '{"input":"a long text"}' }],
        usage: { inputTokens: 50, outputTokens: 9 },
      },
      { text: 'A summary.', usage: { inputTokens: 30, outputTokens: 4 } },
      { text: 'Here it is: a summary.', usage: { inputTokens: 80, outputTokens: 7 } },
    )
    const result = await withBudgetContext(thread, () => runner.run(lead, 'Summarise this.'))
    expect(result.finalOutput).toBe('Here it is: a summary.')
    expect(settled.map((event) => event.context.agent)).toEqual(['lead', 'summarizer', 'lead'])
    expect(settled.every((event) => event.context.thread === 't-1')).toBe(true)
  })

  it('should settle a stream nobody reads after stallMs and abort its request', async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
    const settled = recordSettlements(budget)
    const model = budgetModel(new OpenAIResponsesModel(client, 'gpt-4o'), {
      budget,
      context: thread,
      stallMs: 50,
    })
    server.enqueue({
      text: 'one two three four five six',
      delayMs: 5,
      usage: { inputTokens: 20, outputTokens: 6 },
    })
    const events = model.getStreamedResponse(request())[Symbol.asyncIterator]()
    await events.next() // one event, then nobody reads on
    await expect.poll(() => settled.length, { timeout: 10_000 }).toBe(1)
    expect(settled[0]!.estimated).toBe(true)
    expect(await reservedOf(budget, thread)).toBe(0)
    const rest: string[] = []
    for (let next = await events.next(); !next.done; next = await events.next()) rest.push(next.value.type)
    expect(rest).not.toContain('response_done') // the request was aborted before the server finished
  })

  it('should settle a sent stream that ends without a single event from the estimate, not release it', async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
    const settled = recordSettlements(budget)
    const silent: Model = {
      getResponse: () => Promise.reject(new Error('not called')),
      async *getStreamedResponse() {}, // the request went out; the stream ended without a word
    }
    const model = budgetModel(silent, { budget, context: thread, modelId: 'gpt-4o' })
    for await (const _ of model.getStreamedResponse(request())) expect.unreachable()
    expect(settled).toHaveLength(1)
    expect(settled[0]!.estimated).toBe(true)
    expect(settled[0]!.usage.inputTokens).toBeGreaterThan(0)
    expect(await reservedOf(budget, thread)).toBe(0)
  })
})

describe('budgetModel context', () => {
  it('should reject a context function that returns no object with a BudgetValidationError naming context', async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100 }] })
    const model = budgetModel(
      { getResponse: async () => ({}) as never, async *getStreamedResponse() {} },
      {
        budget,
        context: () => null as never,
      },
    )
    const error = await model.getResponse(request()).catch((caught) => caught)
    expect(BudgetValidationError.isInstance(error)).toBe(true)
    expect(error).toMatchObject({ field: 'context' })
  })
})
