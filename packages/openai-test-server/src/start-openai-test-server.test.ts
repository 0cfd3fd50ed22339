import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { embeddingsRoute } from './routes/embeddings-route.ts'
import { type OpenAITestServer, startOpenAITestServer } from './start-openai-test-server.ts'
import type { TestServerRoute } from './test-server-route.ts'

describe('startOpenAITestServer', () => {
  let server: OpenAITestServer
  let client: OpenAI
  beforeAll(async () => {
    server = await startOpenAITestServer()
    client = new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 })
  })
  afterAll(() => server.close())

  it('should answer chat JSON with usage details and record the request without the key', async () => {
    server.enqueue({
      text: 'Hello there',
      usage: { inputTokens: 12, outputTokens: 3, cachedTokens: 4, reasoningTokens: 1 },
    })
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hi' }],
    })
    expect(completion.choices[0]!.message.content).toBe('Hello there')
    expect(completion.usage).toMatchObject({
      prompt_tokens: 12,
      completion_tokens: 3,
      prompt_tokens_details: { cached_tokens: 4 },
    })
    const recorded = server.requests.at(-1)!
    expect(recorded.body.messages).toEqual([{ role: 'user', content: 'Hi' }])
    expect(JSON.stringify(recorded)).not.toContain('test-key')
    expect(recorded.headers.authorization).toBe('[redacted]')
  })

  it('should redact every credential header in the request log', async () => {
    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'sk-ant-secret',
        'api-key': 'azure-secret',
        'x-trace': 'kept',
      },
      body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
    })
    expect(response.status).toBe(200)
    const recorded = server.requests.at(-1)!
    expect(JSON.stringify(recorded)).not.toMatch(/secret/)
    expect(recorded.headers).toMatchObject({
      'x-api-key': '[redacted]',
      'api-key': '[redacted]',
      'x-trace': 'kept',
    })
  })

  it('should answer unknown paths with a 404 and record them as other', async () => {
    const response = await fetch(`${server.url}/models`)
    expect(response.status).toBe(404)
    expect(server.requests.at(-1)).toMatchObject({ kind: 'other', method: 'GET', path: '/v1/models' })
  })

  it('should sum the usage it reported and forget it on reset', async () => {
    server.reset()
    server.enqueue(
      { text: 'a', usage: { inputTokens: 10, outputTokens: 2, cachedTokens: 3 } },
      { text: 'b', omitUsage: true },
    )
    for (let i = 0; i < 2; i++) {
      await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
    }
    expect(server.totals()).toEqual({
      inputTokens: 10,
      outputTokens: 2,
      cachedTokens: 3,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      requests: 1,
    })
    expect(server.requests).toHaveLength(2)
    server.reset()
    expect(server.requests).toHaveLength(0)
    expect(server.totals().requests).toBe(0)
  })

  it('should stream chat deltas and a usage chunk when asked', async () => {
    server.enqueue({ text: 'one two three', usage: { inputTokens: 5, outputTokens: 3 } })
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Count' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let usage: OpenAI.CompletionUsage | undefined | null
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      if (chunk.usage) usage = chunk.usage
    }
    expect(text).toBe('one two three')
    expect(usage?.completion_tokens).toBe(3)
  })

  it('should stream responses with response.completed usage', async () => {
    server.enqueue({
      text: 'streamed answer',
      usage: { inputTokens: 9, outputTokens: 2, reasoningTokens: 1 },
    })
    const stream = await client.responses.create({ model: 'gpt-4o', input: 'Hi', stream: true })
    let usage: OpenAI.Responses.ResponseUsage | undefined | null
    let text = ''
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta
      if (event.type === 'response.completed') usage = event.response.usage
    }
    expect(text).toBe('streamed answer')
    expect(usage).toMatchObject({
      input_tokens: 9,
      output_tokens: 2,
      output_tokens_details: { reasoning_tokens: 1 },
    })
  })

  it('should answer responses JSON, embeddings and scripted errors', async () => {
    server.enqueue({ text: 'json answer', usage: { inputTokens: 7, outputTokens: 2 } })
    const response = await client.responses.create({ model: 'gpt-4o', input: 'Hi' })
    expect(response.output_text).toBe('json answer')
    const embeddings = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] })
    expect(embeddings.data).toHaveLength(2)
    expect(embeddings.data[0]!.embedding[0]).toBeCloseTo(0.1, 5)
    server.enqueue({ status: 500 })
    await expect(
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({
      status: 500,
    })
  })

  it('should cut a stream after the given number of deltas', async () => {
    server.enqueue({ text: 'a b c d e f', cutAfterChunks: 2, usage: { inputTokens: 5, outputTokens: 6 } })
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
      })(),
    ).rejects.toThrow()
    expect(text).toBe('a b ')
  })
})

describe('startOpenAITestServer routes', () => {
  it('should answer only the routes it is given, and a custom route family', async () => {
    const models: TestServerRoute = {
      kind: 'chat',
      matches: (path) => path.endsWith('/models'),
      json: () => ({ object: 'list', data: [{ id: 'gpt-4o', object: 'model' }] }),
    }
    const server = await startOpenAITestServer({ routes: [models, embeddingsRoute] })
    try {
      const client = new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 })
      const list = await client.models.list()
      expect(list.data.map((model) => model.id)).toEqual(['gpt-4o'])
      const embeddings = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'a' })
      expect(embeddings.usage.prompt_tokens).toBeGreaterThan(0)
      await expect(
        client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      ).rejects.toMatchObject({ status: 404 })
    } finally {
      await server.close()
    }
  })

  it('should take replies from the responder when the queue is empty', async () => {
    const server = await startOpenAITestServer({
      respond: (request) => ({ text: `you sent ${request.body.messages.length} messages` }),
    })
    try {
      const client = new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 })
      const completion = await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: 'Be brief' },
          { role: 'user', content: 'Hi' },
        ],
      })
      expect(completion.choices[0]!.message.content).toBe('you sent 2 messages')
      server.respondWith(() => ({ status: 429 }))
      await expect(
        client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      ).rejects.toMatchObject({ status: 429 })
    } finally {
      await server.close()
    }
  })
})
