import { type Budget, BudgetExceededError, createBudget, type Tally } from '@tokenwarden/core'
import { type OpenAITestServer, startOpenAITestServer } from '@tokenwarden/openai-test-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adapterCallers, callKinds } from './support/adapter-callers.ts'
import { storeFixtures } from './support/store-fixtures.ts'

const usagePerCall = { inputTokens: 60, outputTokens: 40, cachedTokens: 20, reasoningTokens: 10 }
const models = { aiSdk: 'gpt-4o', langchain: 'gpt-4o-mini', openai: 'gpt-4.1' } as const

/** What the server does with a call: answer, fail with HTTP 500, answer without usage, cut the stream. */
type Mode = 'ok' | 'fail' | 'silent' | 'cut'

interface Planned {
  adapter: keyof typeof callKinds
  index: number
  mode: Mode
}

// Every call kind of every adapter answers, fails and answers without usage; kind 1 (a stream for every
// adapter) is also cut mid-way.
const plan: Planned[] = (['aiSdk', 'langchain', 'openai'] as const).flatMap((adapter) =>
  Array.from({ length: callKinds[adapter] }, (_, index) => {
    const modes: Mode[] = index === 1 ? ['ok', 'fail', 'silent', 'cut'] : ['ok', 'fail', 'silent']
    return modes.map((mode) => ({ adapter, index, mode }))
  }).flat(),
)
const count = (mode: Mode) => plan.filter((call) => call.mode === mode).length

describe('failed calls on one budget shared by the three adapters', () => {
  let server: OpenAITestServer
  beforeAll(async () => {
    server = await startOpenAITestServer({
      respond: (request) => {
        const body = JSON.stringify(request.body)
        if (body.includes('[fail]')) return { status: 500 }
        if (body.includes('[silent]')) return { text: 'No usage reported.', omitUsage: true }
        if (body.includes('[cut]')) return { text: 'one two three four five six', cutAfterChunks: 2 }
        return { text: 'Steady.', usage: usagePerCall }
      },
    })
  })
  afterAll(() => server.close())

  describe.each(storeFixtures)('on a $name', (fixture) => {
    let budget: Budget
    let close: () => Promise<void>
    beforeAll(async () => {
      server.reset()
      const opened = await fixture.open()
      close = opened.close
      budget = createBudget({ limits: [{ scope: 'global', tokens: 1_000_000 }], store: opened.store })
    })
    afterAll(async () => {
      await budget.dispose()
      await close()
    })

    it('should release failed calls, settle cut and usage-less ones from an estimate, and leave nothing reserved', async () => {
      const events = { reserved: 0, released: 0, settled: [] as { usage: Tally; estimated: boolean }[] }
      budget.on('reserved', () => events.reserved++)
      budget.on('released', () => events.released++)
      budget.on('settled', ({ usage, estimated }) => events.settled.push({ usage, estimated }))
      const call = adapterCallers({
        budget,
        baseURL: server.url,
        models,
        prompt: 'unused',
        maxOutputTokens: 100,
      })

      const outcomes = await Promise.allSettled(
        plan.map(({ adapter, index, mode }) => call[adapter](index, `Answer briefly. [${mode}]`)),
      )

      // Each call sent exactly one request (no refusals, no retries); the server's failures reached the caller.
      expect(server.requests).toHaveLength(plan.length)
      const rejected = plan.filter((_, position) => outcomes[position]!.status === 'rejected')
      expect(rejected.map((call) => call.mode).sort()).toEqual(
        plan
          .filter((call) => call.mode === 'fail' || call.mode === 'cut')
          .map((call) => call.mode)
          .sort(),
      )
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(BudgetExceededError.isInstance(outcome.reason)).toBe(false)
      }

      // Every reservation was closed before its call returned: failures released, the rest settled.
      expect((await budget.status({}))[0]).toMatchObject({ reserved: 0 })
      expect(events.reserved).toBe(plan.length)
      expect(events.released).toBe(count('fail'))
      expect(events.settled).toHaveLength(count('ok') + count('silent') + count('cut'))
      const estimated = events.settled.filter((settled) => settled.estimated)
      expect(estimated).toHaveLength(count('silent') + count('cut'))
      for (const { usage } of estimated) {
        expect(usage.inputTokens).toBeGreaterThan(0)
        expect(usage.outputTokens).toBeGreaterThan(0)
      }

      // What the server reported was counted exactly; estimates are marked as such in the totals.
      const reported = events.settled.filter((settled) => !settled.estimated).map(({ usage }) => usage)
      const sent = server.totals()
      expect(sent.requests).toBe(count('ok'))
      expect(sum(reported)).toEqual({
        inputTokens: sent.inputTokens,
        outputTokens: sent.outputTokens,
        cachedInputTokens: sent.cachedTokens,
        reasoningTokens: sent.reasoningTokens,
      })
      const { totals } = await budget.report()
      expect(totals.requests).toBe(events.settled.length)
      expect(totals.estimatedRequests).toBe(estimated.length)
      expect(totals.tokens).toBe(sumTokens(events.settled.map(({ usage }) => usage)))
    })
  })
})

function sum(usages: Tally[]) {
  const total = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0 }
  for (const usage of usages) {
    total.inputTokens += usage.inputTokens
    total.outputTokens += usage.outputTokens
    total.cachedInputTokens += usage.cachedInputTokens
    total.reasoningTokens += usage.reasoningTokens
  }
  return total
}

function sumTokens(usages: Tally[]): number {
  return usages.reduce((total, usage) => total + usage.tokens, 0)
}
