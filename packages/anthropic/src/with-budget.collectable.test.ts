import Anthropic from '@anthropic-ai/sdk'
import { createBudget } from '@tokenwarden/core'
import { inMemoryBodies, isCollected } from '@tokenwarden/core/testing'
import { type OpenAITestServer, startOpenAITestServer } from '@tokenwarden/openai-test-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withBudget } from './with-budget.ts'

const params = {
  model: 'claude-haiku-4-5',
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'Summarise the plan.' }],
}

// The SDK removes its listener from the caller's `signal` when a response nobody finishes is collected
// (its backstop for abandoned streams and raw bodies), so an open call must not keep the response alive.
describe('a budgeted response left unfinished', () => {
  let server: OpenAITestServer
  const bodies = inMemoryBodies()
  const client = () =>
    withBudget(
      new Anthropic({
        apiKey: 'sk-ant-test',
        baseURL: server.origin,
        maxRetries: 0,
        // the test server's answer as an in-memory body, so only references keep it alive
        fetch: bodies.fetch,
      }),
      { budget: createBudget({ limits: [{ scope: 'global', tokens: 100_000 }] }) },
    )

  beforeAll(async () => {
    server = await startOpenAITestServer()
  })
  afterAll(() => server.close())

  it('should let the body of a stream read partly, then dropped, be collected while its call is open', async () => {
    server.enqueue({ text: 'one two three' })
    await (async () => {
      const stream = await client().messages.create({ ...params, stream: true })
      await stream[Symbol.asyncIterator]().next()
    })()
    expect(await isCollected(bodies.last())).toBe(true)
  })

  it('should let the body of a raw response nobody reads (asResponse) be collected while its call is open', async () => {
    server.enqueue({ text: 'one two three' })
    await (async () => {
      const response = await client().messages.create(params).asResponse()
      expect(response.status).toBe(200)
    })()
    expect(await isCollected(bodies.last())).toBe(true)
  })
})
