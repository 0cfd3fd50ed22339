import Anthropic from '@anthropic-ai/sdk'
import { betaTool } from '@anthropic-ai/sdk/helpers/beta/json-schema'
import {
  type Budget,
  BudgetExceededError,
  type BudgetStore,
  BudgetValidationError,
  createBudget,
  MissingScopeError,
  memoryStore,
  type Tally,
} from '@tokenwarden/core'
import { estimateCallInput } from '@tokenwarden/core/adapter'
import { type OpenAITestServer, startOpenAITestServer } from '@tokenwarden/openai-test-server'
import { genaiPrices } from '@tokenwarden/prices'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { budgetExceededMessageId } from './budget-exceeded-response.ts'
import { toCallInput } from './to-call-input.ts'
import { withBudget } from './with-budget.ts'

const model = 'claude-haiku-4-5'
const params = {
  model,
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'Summarise the plan.' }],
}
const usage = { inputTokens: 100, outputTokens: 12, cachedTokens: 30, cacheWriteTokens: 20 }
const thread = { thread: 't-1' }

describe('withBudget', () => {
  let server: OpenAITestServer
  let budget: Budget
  let settled: { usage: Tally; estimated: boolean }[]
  const newClient = () => new Anthropic({ apiKey: 'sk-ant-test', baseURL: server.origin, maxRetries: 0 })
  const budgeted = (options: Partial<Parameters<typeof withBudget>[1]> = {}) =>
    withBudget(newClient(), { budget, context: thread, ...options })
  const reserved = async () => (await budget.status(thread))[0]!.reserved

  beforeAll(async () => {
    server = await startOpenAITestServer()
  })
  afterAll(() => server.close())
  beforeEach(() => {
    server.reset()
    budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
    settled = []
    budget.on('settled', (event) => settled.push({ usage: event.usage, estimated: event.estimated }))
  })

  /** What the budget counted equals what the server reported, cache reads included. */
  function expectCountedToEqualServer() {
    const totals = server.totals()
    expect(totals.requests).toBeGreaterThan(0)
    const sum = { inputTokens: 0, outputTokens: 0, cachedTokens: 0, requests: 0 }
    for (const { usage, estimated } of settled) {
      expect(estimated).toBe(false)
      sum.inputTokens += usage.inputTokens
      sum.outputTokens += usage.outputTokens
      sum.cachedTokens += usage.cachedInputTokens
      sum.requests += usage.requests
    }
    expect(sum).toEqual({
      inputTokens: totals.inputTokens,
      outputTokens: totals.outputTokens,
      cachedTokens: totals.cachedTokens,
      requests: totals.requests,
    })
  }

  describe('recorded usage', () => {
    it('should equal the server usage for messages.create (JSON), priced at the cache rates', async () => {
      budget = createBudget({
        limits: [{ scope: 'thread', tokens: 100_000 }],
        prices: {
          models: {
            [model]: {
              inputPerMillion: 1,
              outputPerMillion: 5,
              cachedInputPerMillion: 0.1,
              cacheWriteInputPerMillion: 1.25,
            },
          },
        },
      })
      budget.on('settled', (event) => settled.push({ usage: event.usage, estimated: event.estimated }))
      server.enqueue({ text: 'Done.', usage })
      const message = await budgeted().messages.create(params)
      expect(message.usage.input_tokens).toBe(50)
      expectCountedToEqualServer()
      // 50 uncached at $1, 30 cache reads at $0.10, 20 cache writes at $1.25, 12 output at $5 (per million)
      expect(settled[0]!.usage.costUsd).toBeCloseTo((50 * 1 + 30 * 0.1 + 20 * 1.25 + 12 * 5) / 1e6, 12)
      expect(await reserved()).toBe(0)
    })

    it('should price a claude model from @tokenwarden/prices with its cache rates', async () => {
      budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }], prices: genaiPrices() })
      budget.on('settled', (event) => settled.push({ usage: event.usage, estimated: event.estimated }))
      server.enqueue({ text: 'Done.', usage })
      await budgeted().messages.create(params)
      const expected = genaiPrices().cost(model, {
        inputTokens: 100,
        outputTokens: 12,
        cachedInputTokens: 30,
        cacheWriteInputTokens: 20,
      })!
      expect(expected).toBeGreaterThan(0)
      expect(expected).not.toBeCloseTo(genaiPrices().cost(model, { inputTokens: 100, outputTokens: 12 })!, 9)
      expect(settled[0]!.usage.costUsd).toBeCloseTo(expected, 12)
    })

    it('should settle a message without usage from its estimate (input, and the output from its content)', async () => {
      server.enqueue({ text: 'A short answer of a few words.', omitUsage: true })
      await budgeted().messages.create(params)
      expect(settled).toHaveLength(1)
      expect(settled[0]!.estimated).toBe(true)
      expect(settled[0]!.usage.outputTokens).toBeGreaterThan(0)
      expect(settled[0]!.usage.inputTokens).toBe(estimateCallInput(toCallInput(params), budget.estimator))
    })

    it('should equal the server usage for a stream: true create, from message_start and message_delta', async () => {
      server.enqueue({ text: 'one two three', usage })
      const stream = await budgeted().messages.create({ ...params, stream: true })
      expect(stream).toBeInstanceOf((await import('@anthropic-ai/sdk/core/streaming')).Stream)
      const types: string[] = []
      for await (const event of stream) types.push(event.type)
      expect(types).toContain('message_delta')
      expectCountedToEqualServer()
      expect(await reserved()).toBe(0)
    })

    it('should equal the server usage for messages.stream(), beta.messages.create and beta.messages.stream()', async () => {
      const client = budgeted()
      server.enqueue({ text: 'a b', usage }, { text: 'c', usage }, { text: 'd e', usage })
      const final = await client.messages.stream(params).finalMessage()
      expect(final.usage.output_tokens).toBe(12)
      await client.beta.messages.create({ ...params, betas: ['files-api-2025-04-14'] })
      await client.beta.messages.stream(params).finalMessage()
      expect(server.requests.map((request) => request.kind)).toEqual(['messages', 'messages', 'messages'])
      expect(settled).toHaveLength(3)
      expectCountedToEqualServer()
      expect(await reserved()).toBe(0)
    })
  })

  describe('helpers', () => {
    it('should settle messages.parse(), withResponse() and the beta tool runner from the reported usage', async () => {
      const client = budgeted()
      server.enqueue(
        { text: 'a', usage },
        { text: 'b', usage },
        { toolCalls: [{ id: 'toolu_1', name: 'lookup', arguments: '{"q":"x"}' }], usage },
        { text: 'found', usage },
      )
      await client.messages.parse(params)
      const { data, response } = await client.messages.create(params).withResponse()
      expect(data.content).toHaveLength(1)
      expect(response.status).toBe(200)
      const runner = client.beta.messages.toolRunner({
        ...params,
        tools: [
          betaTool({
            name: 'lookup',
            description: 'Looks up a fact.',
            inputSchema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
            run: () => 'a fact',
          }),
        ],
      })
      const final = await runner.runUntilDone()
      expect(final.content).toMatchObject([{ type: 'text', text: 'found' }])
      expect(server.requests).toHaveLength(4)
      expectCountedToEqualServer()
      expect(await reserved()).toBe(0)
    })

    it('should settle a raw response nobody parses (asResponse) from its estimate once it stalls', async () => {
      server.enqueue({ usage })
      const response = await budgeted({ stallMs: 50 }).messages.create(params).asResponse()
      expect(response.status).toBe(200)
      await vi.waitFor(() => expect(settled).toHaveLength(1))
      expect(settled[0]!.estimated).toBe(true)
      expect(await reserved()).toBe(0)
    })

    it('should settle and abort a stream nobody reads once it stalls', async () => {
      server.enqueue({ text: 'one two three', usage })
      const stream = await budgeted({ stallMs: 50 }).messages.create({ ...params, stream: true })
      await vi.waitFor(() => expect(settled).toHaveLength(1))
      expect(stream.controller.signal.aborted).toBe(true)
      expect(await reserved()).toBe(0)
    })

    it('should end a stream once its output passes the reservation with stopStreamsAtReservation', async () => {
      server.enqueue({ text: 'word '.repeat(50), usage: { inputTokens: 10, outputTokens: 50 } })
      const stream = await budgeted({ stopStreamsAtReservation: true }).messages.create({
        ...params,
        max_tokens: 3,
        stream: true,
      })
      let deltas = 0
      for await (const event of stream) if (event.type === 'content_block_delta') deltas++
      expect(deltas).toBeLessThan(50)
      expect(stream.controller.signal.aborted).toBe(true)
      expect(settled).toHaveLength(1)
      expect(await reserved()).toBe(0)
    })
  })

  describe('concurrency', () => {
    it('should send at most 20 of 100 concurrent calls on a budget for 20, used ≤ limit, 0 reserved', async () => {
      const perCall = estimateCallInput(toCallInput(params), budget.estimator) + params.max_tokens
      const limit = 20 * perCall
      budget = createBudget({ limits: [{ scope: 'thread', tokens: limit }] })
      server.respondWith(() => ({ text: 'ok', usage: { inputTokens: perCall - 64, outputTokens: 64 } }))
      const client = budgeted()
      const results = await Promise.allSettled(
        Array.from({ length: 100 }, (_, index) =>
          index % 2 === 0 ? client.messages.create(params) : client.messages.stream(params).finalMessage(),
        ),
      )
      const sent = server.requests.length
      expect(sent).toBeLessThanOrEqual(20)
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(sent)
      for (const result of results)
        if (result.status === 'rejected') expect(isBudgetError(result.reason)).toBe(true)
      const [status] = await budget.status(thread)
      expect(status!.used).toBeLessThanOrEqual(limit)
      expect(status!.reserved).toBe(0)
    })
  })

  describe('refusals', () => {
    it('should send nothing when the budget cannot afford a call (create, stream and messages.stream())', async () => {
      budget = createBudget({ limits: [{ scope: 'thread', tokens: 50 }] })
      const client = budgeted()
      await expect(client.messages.create(params)).rejects.toSatisfy(BudgetExceededError.isInstance)
      await expect(client.messages.create({ ...params, stream: true })).rejects.toSatisfy(
        BudgetExceededError.isInstance,
      )
      await expect(client.messages.stream(params).finalMessage()).rejects.toSatisfy(isBudgetError)
      expect(server.requests).toHaveLength(0)
      expect(await reserved()).toBe(0)
    })

    it("should finish a refused call gracefully with onExceeded: 'finish' (JSON, stream, messages.stream()), sending nothing", async () => {
      budget = createBudget({ limits: [{ scope: 'thread', tokens: 50 }] })
      const client = budgeted({
        onExceeded: 'finish',
        exceededText: (error) => `Out of budget (${error.scope}).`,
      })
      const message = await client.messages.create(params)
      expect(message).toMatchObject({
        id: budgetExceededMessageId,
        stop_reason: 'end_turn',
        content: [{ type: 'text', text: 'Out of budget (thread).' }],
        usage: { input_tokens: 0, output_tokens: 0 },
      })
      let streamed = ''
      for await (const event of await client.messages.create({ ...params, stream: true }))
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
          streamed += event.delta.text
      expect(streamed).toBe('Out of budget (thread).')
      const helper = client.messages.stream(params)
      expect(await helper.finalText()).toBe('Out of budget (thread).')
      expect(server.requests).toHaveLength(0)
      expect(settled).toHaveLength(0)
      expect(await reserved()).toBe(0)
    })

    it('should reject a call without the thread id with MissingScopeError, and scope calls with withContext', async () => {
      const client = withBudget(newClient(), { budget, context: { agent: 'researcher' } })
      await expect(client.messages.create(params)).rejects.toSatisfy(MissingScopeError.isInstance)
      expect(server.requests).toHaveLength(0)
      server.enqueue({ usage })
      await client.withContext(thread).messages.create(params)
      expect(settled).toHaveLength(1)
      expect((await budget.status({ ...thread, agent: 'researcher' }))[0]!.used).toBe(112)
    })

    it('should reserve once across the client retries and settle the attempt that answered', async () => {
      server.enqueue({ status: 500, headers: { 'retry-after-ms': '0' } }, { usage })
      const client = withBudget(
        new Anthropic({ apiKey: 'sk-ant-test', baseURL: server.origin, maxRetries: 1 }),
        {
          budget,
          context: thread,
        },
      )
      await client.messages.create(params)
      expect(server.requests).toHaveLength(2)
      expect(server.requests[1]!.rawBody).toBe(server.requests[0]!.rawBody)
      expectCountedToEqualServer()
      expect(await reserved()).toBe(0)
    })

    it('should release the reservation of a call the API rejects', async () => {
      server.enqueue({ status: 500 })
      await expect(budgeted().messages.create(params)).rejects.toMatchObject({ status: 500 })
      expect(settled).toHaveLength(0)
      expect(await reserved()).toBe(0)
    })
  })

  describe('warnings', () => {
    it('should show a crossed warning once, appended to a string system', async () => {
      budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const small = { inputTokens: 5, outputTokens: 1 }
      server.enqueue({ usage: { inputTokens: 700, outputTokens: 100 } }, { usage: small }, { usage: small })
      const client = budgeted()
      for (let call = 0; call < 3; call++)
        await client.messages.create({ ...params, max_tokens: 10, system: 'Be brief.' })
      const systems = server.requests.map((request) => request.body.system as string)
      expect(systems[0]).toBe('Be brief.')
      expect(systems[1]).toMatch(/^Be brief\.\n\n\[Budget warning\]/)
      expect(systems[2]).toBe('Be brief.')
    })

    it('should add the warning as a last text block, keeping the cache_control breakpoints where they are', async () => {
      budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      server.enqueue({ usage: { inputTokens: 700, outputTokens: 100 } }, { usage })
      const system = [
        { type: 'text' as const, text: 'Long instructions.', cache_control: { type: 'ephemeral' as const } },
        { type: 'text' as const, text: 'Tail.' },
      ]
      const client = budgeted()
      await client.messages.create({ ...params, max_tokens: 10, system })
      await client.messages.stream({ ...params, max_tokens: 10, system }).finalMessage()
      const sent = server.requests[1]!.body.system
      expect(sent.slice(0, 2)).toEqual(system)
      expect(sent).toHaveLength(3)
      expect(sent[2]).toEqual({ type: 'text', text: expect.stringContaining('[Budget warning]') })
      expect(system).toHaveLength(2) // the caller's params are not touched
    })
  })

  describe('streams', () => {
    it('should settle a stream left with break from what it used (input from message_start)', async () => {
      server.enqueue({ text: 'one two three four five six', usage, delayMs: 5 })
      const stream = await budgeted().messages.create({ ...params, stream: true })
      let deltas = 0
      for await (const event of stream) if (event.type === 'content_block_delta' && ++deltas === 2) break
      expect(settled).toHaveLength(1)
      expect(settled[0]!.usage.inputTokens).toBe(100)
      expect(settled[0]!.usage.cachedInputTokens).toBe(30)
      expect(settled[0]!.usage.outputTokens).toBeGreaterThan(0)
      expect(settled[0]!.estimated).toBe(true)
      expect(await reserved()).toBe(0)
    })

    it('should settle a stream aborted with messages.stream().abort() and one cut by the server', async () => {
      server.enqueue(
        { text: 'one two three four five six', usage, delayMs: 5 },
        { text: 'a b c d', usage, cutAfterChunks: 2 },
      )
      const client = budgeted()
      const helper = client.messages.stream(params)
      helper.on('text', () => helper.abort())
      await expect(helper.finalMessage()).rejects.toThrow()
      await expect(client.messages.stream(params).finalMessage()).rejects.toThrow()
      expect(settled.map((entry) => entry.usage.inputTokens)).toEqual([100, 100])
      expect(await reserved()).toBe(0)
    })

    it('should leave no unhandled rejection when an aborted stream cannot be settled (store down)', async () => {
      const inner = memoryStore()
      const store: BudgetStore = {
        name: 'down on commit',
        reserve: (request) => inner.reserve(request),
        commit: () => Promise.reject(new Error('store down')),
        renew: (request) => inner.renew(request),
        read: (request) => inner.read(request),
        list: (request) => inner.list(request),
      }
      budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }], store })
      server.enqueue({ text: 'one two three four five six', usage, delayMs: 5 })
      const stream = await budgeted().messages.create({ ...params, stream: true })
      stream.controller.abort() // nobody reads on: the abort listener settles, and the settle rejects
      await new Promise((resolve) => setTimeout(resolve, 20)) // vitest fails the run on an unhandled rejection
      expect(stream.controller.signal.aborted).toBe(true)
    })
  })

  describe('invisible while the budget has room', () => {
    it('should send the exact bytes the unwrapped client sends (JSON and stream)', async () => {
      const body = {
        ...params,
        system: [{ type: 'text' as const, text: 'S', cache_control: { type: 'ephemeral' as const } }],
        temperature: 0.2,
      }
      await newClient().messages.create(body)
      await budgeted().messages.create(body)
      await newClient().messages.stream(body).finalMessage()
      await budgeted().messages.stream(body).finalMessage()
      const [bare, wrapped, bareStream, wrappedStream] = server.requests.map((request) => request.rawBody)
      expect(wrapped).toBe(bare)
      expect(wrappedStream).toBe(bareStream)
      expect(settled).toHaveLength(2)
    })

    it('should send the clamped max_tokens when clamp is on and the budget is short', async () => {
      budget = createBudget({ limits: [{ scope: 'thread', tokens: 40 }] })
      server.enqueue({ usage: { inputTokens: 5, outputTokens: 5 } })
      await budgeted({ clamp: true }).messages.create({ ...params, max_tokens: 1000 })
      const sent = server.requests[0]!.body.max_tokens
      expect(sent).toBeLessThan(40)
      expect(sent).toBeGreaterThan(0)
    })
  })

  describe('the client', () => {
    it('should budget the client it is given: the same object, still an Anthropic, no second client', async () => {
      let constructed = 0
      class Counted extends Anthropic {
        constructor(options: ConstructorParameters<typeof Anthropic>[0]) {
          super(options)
          constructed++
        }
      }
      const client = new Counted({ apiKey: 'sk-ant-test', baseURL: server.origin, maxRetries: 0 })
      const wrapped = withBudget(client, { budget, context: thread })
      expect(wrapped).toBe(client)
      expect(wrapped).toBeInstanceOf(Anthropic)
      expect(wrapped).toBeInstanceOf(Counted)
      expect(constructed).toBe(1)
      server.enqueue({ usage })
      await wrapped.messages.create(params)
      expect(settled).toHaveLength(1)
    })

    it('should keep clients made with withOptions budgeted, and pass other requests through', async () => {
      const clone = budgeted().withOptions({ timeout: 30_000 })
      server.enqueue({ usage })
      await clone.messages.create(params)
      expect(settled).toHaveLength(1)
      await expect(clone.models.list()).rejects.toMatchObject({ status: 404 })
      expect(await reserved()).toBe(0)
    })

    it('should reject bad options with a BudgetValidationError naming the field', () => {
      const bad = (options: object) => () => withBudget(newClient(), { budget, ...options })
      for (const [field, options] of [
        ['budget', { budget: {} }],
        ['context', { context: 'thread' }],
        ['modelId', { modelId: '' }],
        ['onExceeded', { onExceeded: 'end' }],
        ['exceededText', { exceededText: 'out' }],
        ['stallMs', { stallMs: 0 }],
        ['injectWarnings', { injectWarnings: 'yes' }],
      ] as const) {
        expect(bad(options)).toThrow(expect.objectContaining({ field }))
        expect(bad(options)).toThrow(BudgetValidationError)
      }
    })
  })
})

function isBudgetError(error: unknown): boolean {
  return BudgetExceededError.isInstance(error) || BudgetExceededError.isInstance((error as Error)?.cause)
}
