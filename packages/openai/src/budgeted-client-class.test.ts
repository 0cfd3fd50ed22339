import {
  type Budget,
  BudgetExceededError,
  BudgetValidationError,
  createBudget,
  type Tally,
} from '@tokenwarden/core'
import type { OpenAITestServer } from '@tokenwarden/openai-test-server'
import OpenAI, { APIError, APIUserAbortError, AzureOpenAI } from 'openai'
import { beforeEach, describe, expect, it } from 'vitest'
import { useOpenAIFixture } from './test/openai-fixture.ts'
import { withBudget } from './with-budget.ts'

const messages = [{ role: 'user' as const, content: 'Summarise the plan.' }]
const noWait = { 'retry-after-ms': '0' }

describe('budgetedClientClass', () => {
  let server: OpenAITestServer
  let raw: OpenAI
  let budget: Budget
  let settled: Tally[]
  const fixture = useOpenAIFixture({ maxRetries: 2 })
  beforeEach(() => {
    ;({ server, raw, budget, settled } = fixture)
  })

  async function limitStatus(thread = 't-1') {
    return (await budget.status({ thread }))[0]!
  }

  describe('request', () => {
    it('should let no more calls reach the server than the budget affords (200 concurrent, 50 afforded)', async () => {
      const sizes: number[] = []
      const probe = createBudget({ limits: [{ scope: 'thread', tokens: 1_000_000 }] })
      probe.on('reserved', (event) => sizes.push(event.amount.tokens))
      await withBudget(raw, { budget: probe, context: { thread: 'probe' } }).chat.completions.create({
        model: 'gpt-4o',
        messages,
        max_completion_tokens: 20,
      })
      const perCall = sizes[0]!
      const limit = perCall * 50
      budget = createBudget({ limits: [{ scope: 'thread', tokens: limit }] })
      server.reset()
      server.respondWith(() => ({ text: 'ok', usage: { inputTokens: perCall - 20, outputTokens: 20 } }))
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, () =>
          client.chat.completions.create({ model: 'gpt-4o', messages, max_completion_tokens: 20 }),
        ),
      )
      server.respondWith(() => ({}))
      const refused = results.filter((r) => r.status === 'rejected')
      expect(refused.every((r) => BudgetExceededError.isInstance(r.reason))).toBe(true)
      expect(server.requests.length).toBeLessThanOrEqual(50)
      expect(server.requests.length).toBe(200 - refused.length)
      const final = await limitStatus()
      expect(final.used).toBeLessThanOrEqual(limit)
      expect(final.reserved).toBe(0)
    })

    it.each([500, 429])('should release after %i responses and the client retries', async (status) => {
      server.enqueue({ status, headers: noWait }, { status, headers: noWait }, { status })
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const error = await client.chat.completions
        .create({ model: 'gpt-4o', messages })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(APIError)
      expect((error as APIError).status).toBe(status)
      expect(server.requests).toHaveLength(3)
      expect(await limitStatus()).toMatchObject({ used: 0, reserved: 0 })
    })

    it('should settle once after a 429 retried into a success', async () => {
      server.enqueue(
        { status: 429, headers: noWait },
        { text: 'ok', usage: { inputTokens: 11, outputTokens: 4 } },
      )
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const response = await client.responses.create({ model: 'gpt-4o', input: 'Hi' })
      expect(response.output_text).toBe('ok')
      expect(server.requests).toHaveLength(2)
      expect(settled).toHaveLength(1)
      expect(await limitStatus()).toMatchObject({ used: 15, reserved: 0 })
    })

    it('should release a call the caller aborts', async () => {
      server.enqueue({ status: 429, headers: { 'retry-after-ms': '30000' } })
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      const controller = new AbortController()
      const call = client.chat.completions.create(
        { model: 'gpt-4o', messages },
        { signal: controller.signal },
      )
      const released = new Promise((resolve) => budget.on('released', resolve))
      while (server.requests.length === 0) await new Promise((resolve) => setImmediate(resolve))
      controller.abort()
      await expect(call).rejects.toBeInstanceOf(APIUserAbortError)
      await released
      expect(await limitStatus()).toMatchObject({ used: 0, reserved: 0 })
    })

    it('should pass other requests through untouched', async () => {
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      await expect(client.models.list()).rejects.toMatchObject({ status: 404 })
      expect(server.requests[0]!.path).toBe('/v1/models')
      expect(settled).toHaveLength(0)
    })
  })

  describe('prepareRequest', () => {
    it('should clamp the output maximum to what is left, in the field the caller used', async () => {
      budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const client = withBudget(raw, { budget, context: { thread: 't-1' }, clamp: true })
      await client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 5000 })
      await client.responses.create({ model: 'gpt-4o', input: 'Hi', max_output_tokens: 5000 })
      await client.chat.completions.create({ model: 'gpt-4o', messages })
      const [chat, responses, unset] = server.requests.map((request) => request.body)
      expect(chat.max_tokens).toBeGreaterThan(900)
      expect(chat.max_tokens).toBeLessThan(1000)
      expect(chat.max_completion_tokens).toBeUndefined()
      expect(responses.max_output_tokens).toBeLessThan(1000)
      expect(unset.max_completion_tokens).toBeLessThan(1000)
    })

    it('should refuse instead of clamping by default', async () => {
      budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const client = withBudget(raw, { budget, context: { thread: 't-1' } })
      await expect(
        client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 5000 }),
      ).rejects.toBeInstanceOf(BudgetExceededError)
      await expect(
        client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: -1 }),
      ).rejects.toMatchObject({ field: 'max_tokens' })
      expect(server.requests).toHaveLength(0)
    })
  })

  describe('withOptions', () => {
    it('should instrument the client passed in (same object and type) and budget its clones', async () => {
      const client: OpenAI = withBudget(raw, { budget, context: { thread: 't-1' } })
      expect(client).toBe(raw)
      expect(client).toBeInstanceOf(OpenAI)
      await client.withOptions({ timeout: 5_000 }).chat.completions.create({ model: 'gpt-4o', messages })
      expect(settled).toHaveLength(1)
    })

    it('should budget subclasses such as AzureOpenAI', async () => {
      const azure = new AzureOpenAI({
        apiKey: 'k',
        baseURL: server.url,
        apiVersion: '2025-01-01',
        maxRetries: 0,
      })
      const client = withBudget(azure, { budget, context: { thread: 't-1' } })
      expect(client).toBeInstanceOf(AzureOpenAI)
      server.enqueue({ usage: { inputTokens: 7, outputTokens: 1 } })
      await client.chat.completions.create({ model: 'gpt-4o', messages })
      expect(await limitStatus()).toMatchObject({ used: 8, reserved: 0 })
    })
  })

  describe('withContext', () => {
    it('should count calls for the merged context', async () => {
      const client = withBudget(raw, { budget, context: { agent: 'researcher' } })
      server.enqueue(
        { usage: { inputTokens: 10, outputTokens: 2 } },
        { usage: { inputTokens: 20, outputTokens: 3 } },
      )
      await client.withContext({ thread: 't-a' }).chat.completions.create({ model: 'gpt-4o', messages })
      await client
        .withContext({ thread: 't-b' })
        .withOptions({})
        .chat.completions.create({ model: 'gpt-4o', messages })
      expect((await limitStatus('t-a')).used).toBe(12)
      expect((await limitStatus('t-b')).used).toBe(23)
      const [agent] = (await budget.report()).top.agent ?? []
      expect(agent).toMatchObject({ id: 'researcher' })
    })

    it('should reject bad options with BudgetValidationError naming the field, sending nothing', async () => {
      expect(() => withBudget(raw, { budget: {} as Budget })).toThrow(BudgetValidationError)
      expect(() => withBudget({} as OpenAI, { budget })).toThrow(/client/)
      expect(() => withBudget(raw, { budget, stallMs: 0 })).toThrow(/stallMs/)
      expect(() => withBudget(raw, { budget, onExceeded: 'end' as never })).toThrow(/onExceeded/)
      const call = (client: OpenAI) => client.chat.completions.create({ model: 'gpt-4o', messages })
      const bad = { thread: 7 as never }
      await expect(call(withBudget(raw, { budget, context: bad }))).rejects.toThrow(/context\.thread/)
      expect(() => withBudget(raw, { budget, clamp: { minOutputTokens: 0 } })).toThrow(
        /clamp\.minOutputTokens/,
      )
      expect(() => withBudget(raw, { budget }).withContext({ thread: 't', user: '' })).toThrow(
        /context\.user/,
      )
      expect(server.requests).toHaveLength(0)
    })
  })
})
