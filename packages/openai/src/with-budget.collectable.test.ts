import { createBudget } from '@tokenwarden/core'
import { inMemoryBodies, isCollected } from '@tokenwarden/core/testing'
import { type OpenAITestServer, startOpenAITestServer } from '@tokenwarden/openai-test-server'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withBudget } from './with-budget.ts'

const params = {
  model: 'gpt-4o-mini',
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'Summarise the plan.' }],
}

// As for the Anthropic client (same Stainless SDK core): an open call must not keep a response nobody
// finishes alive, or the SDK's backstop that releases its listener on the caller's signal never runs.
describe('a budgeted response left unfinished', () => {
  let server: OpenAITestServer
  const bodies = inMemoryBodies()
  const client = () =>
    withBudget(
      new OpenAI({
        apiKey: 'test-key',
        baseURL: server.url,
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
      const stream = await client().chat.completions.create({ ...params, stream: true })
      await stream[Symbol.asyncIterator]().next()
    })()
    expect(await isCollected(bodies.last())).toBe(true)
  })

  it('should let the body of a raw response nobody reads (asResponse) be collected while its call is open', async () => {
    server.enqueue({ text: 'one two three' })
    await (async () => {
      const response = await client().chat.completions.create(params).asResponse()
      expect(response.status).toBe(200)
    })()
    expect(await isCollected(bodies.last())).toBe(true)
  })
})
