import Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type OpenAITestServer, startOpenAITestServer } from '../start-openai-test-server.ts'
import { anthropicMessagesRoute } from './anthropic-messages-route.ts'

describe('anthropicMessagesRoute', () => {
  let server: OpenAITestServer
  let client: Anthropic
  const usage = { inputTokens: 100, outputTokens: 7, cachedTokens: 30, cacheWriteTokens: 20 }
  const params = {
    model: 'claude-sonnet-4-5',
    max_tokens: 64,
    messages: [{ role: 'user' as const, content: 'Hi' }],
  }
  beforeAll(async () => {
    server = await startOpenAITestServer()
    client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: server.origin, maxRetries: 0 })
  })
  beforeEach(() => server.reset())
  afterAll(() => server.close())

  it('should answer JSON with Anthropic usage (input without the cached parts) and record the raw body', async () => {
    server.enqueue({ text: 'Hello there', usage })
    const message = await client.messages.create(params)
    expect(message.content).toEqual([{ type: 'text', text: 'Hello there', citations: null }])
    expect(message.stop_reason).toBe('end_turn')
    expect(message.usage).toMatchObject({
      input_tokens: 50,
      cache_read_input_tokens: 30,
      cache_creation_input_tokens: 20,
      output_tokens: 7,
    })
    const recorded = server.requests.at(-1)!
    expect(recorded).toMatchObject({ kind: 'messages', path: '/v1/messages', stream: false })
    expect(recorded.rawBody).toBe(JSON.stringify(params))
    expect(JSON.stringify(recorded)).not.toContain('sk-ant-test')
    expect(server.totals()).toMatchObject({
      inputTokens: 100,
      cachedTokens: 30,
      cacheWriteTokens: 20,
      requests: 1,
    })
  })

  it('should stream the real event sequence, with cumulative usage on message_delta', async () => {
    server.enqueue({ text: 'one two three', usage })
    const stream = await client.messages.create({ ...params, stream: true })
    const events: string[] = []
    const deltas: object[] = []
    for await (const event of stream) {
      events.push(event.type)
      if (event.type === 'message_start')
        expect(event.message.usage).toMatchObject({ input_tokens: 50, output_tokens: 1 })
      if (event.type === 'message_delta') deltas.push(event.usage)
    }
    expect(events).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ])
    expect(deltas).toEqual([
      expect.objectContaining({ output_tokens: 7, input_tokens: 50, cache_read_input_tokens: 30 }),
    ])
  })

  it('should stream tool use as input_json_delta, which messages.stream() assembles', async () => {
    server.enqueue({
      text: 'Looking.',
      toolCalls: [{ id: 'toolu_1', name: 'search', arguments: '{"q":"budgets"}' }],
      usage,
    })
    const final = await client.messages.stream(params).finalMessage()
    expect(final.content).toEqual([
      { type: 'text', text: 'Looking.', citations: null },
      { type: 'tool_use', id: 'toolu_1', name: 'search', input: { q: 'budgets' } },
    ])
    expect(final.stop_reason).toBe('tool_use')
    expect(final.usage).toMatchObject({ input_tokens: 50, output_tokens: 7, cache_creation_input_tokens: 20 })
  })

  it('should answer scripted errors with an Anthropic error body and cut streams', async () => {
    server.enqueue({ status: 429 })
    await expect(client.messages.create(params)).rejects.toMatchObject({
      status: 429,
      error: { type: 'error', error: { type: 'rate_limit_error' } },
    })
    server.enqueue({ text: 'a b c d', cutAfterChunks: 2 })
    let text = ''
    await expect(
      (async () => {
        for await (const event of await client.messages.create({ ...params, stream: true }))
          if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
            text += event.delta.text
      })(),
    ).rejects.toThrow()
    expect(text).toBe('a b ')
  })

  it('should be a route of its own', async () => {
    const only = await startOpenAITestServer({ routes: [anthropicMessagesRoute] })
    try {
      const response = await fetch(`${only.url}/chat/completions`, { method: 'POST', body: '{}' })
      expect(response.status).toBe(404)
    } finally {
      await only.close()
    }
  })
})
