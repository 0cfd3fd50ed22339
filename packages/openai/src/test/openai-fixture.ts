import { type Budget, createBudget, type Tally } from '@tokenwarden/core'
import { type OpenAITestServer, startOpenAITestServer } from '@tokenwarden/openai-test-server'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach } from 'vitest'

/** What a test of the wrapper works with; fields are set by the hooks `useOpenAIFixture` registers. */
export interface OpenAIFixture {
  server: OpenAITestServer
  /** An unwrapped client pointed at the local server (a new one per test: `withBudget` instruments it). */
  raw: OpenAI
  /** A fresh budget per test: 100k tokens per thread. */
  budget: Budget
  /** The usage of every `settled` event of `budget`. */
  settled: Tally[]
}

/**
 * Registers the hooks of a wrapper test (call it inside `describe`): one local OpenAI-compatible server
 * for the file, a fresh budget and settled list per test.
 *
 * @example
 * const fixture = useOpenAIFixture({ maxRetries: 2 })
 * it('…', async () => { await withBudget(fixture.raw, { budget: fixture.budget }).models.list() })
 */
export function useOpenAIFixture({ maxRetries = 0 }: { maxRetries?: number } = {}): OpenAIFixture {
  const fixture = {} as OpenAIFixture
  beforeAll(async () => {
    fixture.server = await startOpenAITestServer()
  })
  afterAll(() => fixture.server.close())
  beforeEach(() => {
    fixture.server.reset()
    fixture.raw = new OpenAI({ apiKey: 'test-key', baseURL: fixture.server.url, maxRetries })
    fixture.budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
    const settled: Tally[] = []
    fixture.settled = settled
    fixture.budget.on('settled', (event) => settled.push(event.usage))
  })
  return fixture
}
