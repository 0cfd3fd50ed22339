import type { OpenAITestServer } from '@tokenwarden/openai-test-server'
import OpenAI, { AzureOpenAI } from 'openai'
import { Stream } from 'openai/streaming'
import * as openai75 from 'openai-7-5'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useOpenAIFixture } from './test/openai-fixture.ts'
import { withBudget } from './with-budget.ts'

const messages = [{ role: 'user' as const, content: 'Summarise the plan.' }]
const thread = { thread: 't-1' }

describe('withBudget', () => {
  const fixture = useOpenAIFixture()
  let server: OpenAITestServer
  beforeEach(() => {
    server = fixture.server
  })

  describe('AzureOpenAI', () => {
    const releases = [
      ['openai 7.57', AzureOpenAI],
      ['openai 7.5', openai75.AzureOpenAI as unknown as typeof AzureOpenAI],
    ] as const
    for (const [release, Azure] of releases) {
      it(`should keep apiVersion and deployment, also through withContext (${release})`, async () => {
        const options = { apiKey: 'k', baseURL: server.url, apiVersion: '2024-10-21', maxRetries: 0 }
        const azure = new Azure({ ...options, deployment: 'writer-deployment' })
        const client = withBudget(azure, { budget: fixture.budget, context: thread })
        expect(client).toBe(azure)
        await client.chat.completions.create({ model: 'gpt-4o', messages })
        await client.withContext({ user: 'ada' }).chat.completions.create({ model: 'gpt-4o', messages })
        for (const request of server.requests) {
          expect(request.path).toBe('/v1/deployments/writer-deployment/chat/completions')
          expect(request.query).toBe('api-version=2024-10-21')
        }
        expect(server.requests).toHaveLength(2)
        expect(fixture.settled).toHaveLength(2)
      })
    }

    it('should budget a plain openai 7.5 client (chat JSON and stream, responses stream)', async () => {
      const client = withBudget(
        new openai75.OpenAI({ apiKey: 'k', baseURL: server.url }) as unknown as OpenAI,
        {
          budget: fixture.budget,
          context: thread,
        },
      )
      const usage = { inputTokens: 20, outputTokens: 4 }
      server.enqueue({ text: 'one', usage }, { text: 'two three', usage }, { text: 'four', usage })
      await client.chat.completions.create({ model: 'gpt-4o', messages })
      const chat = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      for await (const _ of chat);
      const responses = await client.responses.create({ model: 'gpt-4o', input: 'Hi', stream: true })
      for await (const _ of responses);
      expect(
        fixture.settled.map((tally) => [tally.inputTokens, tally.outputTokens, tally.estimatedRequests]),
      ).toEqual([
        [20, 4, 0],
        [20, 4, 0],
        [20, 4, 0],
      ])
    })
  })

  describe('the client', () => {
    it('should construct no second client and keep withOptions clones budgeted', async () => {
      let constructed = 0
      class Counted extends OpenAI {
        constructor(options: ConstructorParameters<typeof OpenAI>[0]) {
          super(options)
          constructed++
        }
      }
      const own = new Counted({ apiKey: 'k', baseURL: server.url, maxRetries: 0 })
      const client = withBudget(own, { budget: fixture.budget, context: thread })
      expect(constructed).toBe(1)
      expect(client).toBe(own)
      expect(client).toBeInstanceOf(Counted)
      const clone = client.withOptions({ timeout: 5_000 })
      expect(clone).toBeInstanceOf(Counted)
      await clone.chat.completions.create({ model: 'gpt-4o', messages })
      await client.chat.completions.create({ model: 'gpt-4o', messages })
      expect(fixture.settled).toHaveLength(2)
      expect(constructed).toBe(2) // the clone the caller asked for
    })
  })

  describe('the request', () => {
    it('should run toJSON hooks and getters of the body as often as the client alone does', async () => {
      const runs = { tool: 0, format: 0, content: 0 }
      const body = () => ({
        model: 'gpt-4o',
        messages: [
          {
            role: 'user' as const,
            get content() {
              runs.content++
              return 'Look it up.'
            },
          },
        ],
        tools: [
          {
            type: 'function' as const,
            function: { name: 'lookup', parameters: { type: 'object' } },
            toJSON() {
              runs.tool++
              return { type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }
            },
          },
        ],
        response_format: {
          type: 'json_object' as const,
          toJSON() {
            runs.format++
            return { type: 'json_object' }
          },
        },
      })
      await fixture.raw.chat.completions.create(body())
      const alone = { ...runs }
      runs.tool = runs.format = runs.content = 0
      const client = withBudget(new OpenAI({ apiKey: 'k', baseURL: server.url }), {
        budget: fixture.budget,
        context: thread,
      })
      await client.chat.completions.create(body())
      expect(runs).toEqual(alone)
      expect(alone).toEqual({ tool: 1, format: 1, content: 1 })
      expect(fixture.settled).toHaveLength(1)
    })

    it('should send each retry as the client serialized it for that attempt, with the budget edits on it', async () => {
      // openai-node's own suite: a retry serializes the body again (a toJSON hook may answer otherwise)
      let serializations = 0
      const tool = {
        type: 'function' as const,
        function: { name: 'lookup', parameters: { type: 'object' } },
        toJSON() {
          serializations++
          return { type: 'function', function: { name: 'lookup', strict: serializations > 1 } }
        },
      }
      const client = withBudget(new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 1 }), {
        budget: fixture.budget,
        context: thread,
      })
      server.enqueue({ status: 500 }, { text: 'found', usage: { inputTokens: 20, outputTokens: 2 } })
      // a chat stream: the budget asks for include_usage on every attempt
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        messages,
        tools: [tool],
        stream: true,
      })
      for await (const _ of stream);
      const sent = server.requests.map((request) => JSON.parse(request.rawBody ?? '{}'))
      expect(sent.map((body) => body.tools[0].function.strict)).toEqual([false, true])
      expect(sent.map((body) => body.stream_options)).toEqual([
        { include_usage: true },
        { include_usage: true },
      ])
      expect(serializations).toBe(2)
      expect(fixture.settled.map((tally) => [tally.inputTokens, tally.outputTokens])).toEqual([[20, 2]])
    })

    it('should send the bytes the client alone sends while the budget has room', async () => {
      const calls = (client: OpenAI) => [
        () => client.chat.completions.create({ model: 'gpt-4o', messages, temperature: 0.2 }),
        () => client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 300 }),
        () =>
          client.chat.completions.create({
            model: 'gpt-4o',
            messages,
            stream: true,
            stream_options: { include_usage: true },
          }),
        () => client.responses.create({ model: 'gpt-4o', input: 'Hi', instructions: 'Be brief.' }),
        () => client.responses.create({ model: 'gpt-4o', input: 'Hi', stream: true }),
        () => client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] }),
      ]
      const send = async (client: OpenAI) => {
        for (const call of calls(client)) {
          const result: unknown = await call()
          if (result instanceof Stream) for await (const _ of result);
        }
        const bodies = server.requests.map((request) => request.rawBody)
        server.reset()
        return bodies
      }
      const alone = await send(fixture.raw)
      const budgeted = withBudget(new OpenAI({ apiKey: 'k', baseURL: server.url }), {
        budget: fixture.budget,
        context: thread,
      })
      expect(await send(budgeted)).toEqual(alone)
      expect(fixture.settled).toHaveLength(alone.length)
    })

    it('should add only include_usage to a chat stream that did not ask for it', async () => {
      const client = withBudget(fixture.raw, { budget: fixture.budget, context: thread })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      for await (const _ of stream);
      const sent = server.requests[0]!.rawBody
      const alone = JSON.stringify({ model: 'gpt-4o', messages, stream: true })
      expect(sent).toBe(`${alone.slice(0, -1)},"stream_options":{"include_usage":true}}`)
    })
  })

  describe('the response', () => {
    it('should clone no response and read a stream only as fast as the caller does', async () => {
      let pulled = 0
      const counting: typeof fetch = async (url, init) => {
        const response = await fetch(url, init)
        const reader = response.body!.getReader()
        const body = new ReadableStream(
          {
            async pull(controller) {
              const next = await reader.read()
              if (next.done) controller.close()
              else {
                pulled++
                controller.enqueue(next.value)
              }
            },
            cancel: (reason) => reader.cancel(reason),
          },
          { highWaterMark: 0 },
        )
        return new Response(body, { status: response.status, headers: response.headers })
      }
      const clone = vi.spyOn(Response.prototype, 'clone')
      const client = withBudget(new OpenAI({ apiKey: 'k', baseURL: server.url, fetch: counting }), {
        budget: fixture.budget,
        context: thread,
      })
      const words = Array.from({ length: 40 }, (_, index) => `w${index}`).join(' ')
      server.enqueue({ text: words, delayMs: 2, usage: { inputTokens: 10, outputTokens: 40 } })
      try {
        const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
        const iterator = stream[Symbol.asyncIterator]()
        await iterator.next()
        await vi.waitFor(() => expect(server.sentUsage).toHaveLength(1)) // the server sent everything
        await new Promise((resolve) => setTimeout(resolve, 50))
        expect(pulled).toBeLessThan(5)
        while (!(await iterator.next()).done);
        expect(clone).not.toHaveBeenCalled()
      } finally {
        clone.mockRestore()
      }
      expect(fixture.settled).toMatchObject([{ inputTokens: 10, outputTokens: 40, estimatedRequests: 0 }])
    })
  })
})
