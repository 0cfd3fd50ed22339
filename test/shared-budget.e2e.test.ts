import { type Budget, BudgetExceededError, createBudget } from '@tokenwarden/core'
import { type OpenAITestServer, startOpenAITestServer } from '@tokenwarden/openai-test-server'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { adapterCallers, type callKinds } from './support/adapter-callers.ts'
import { storeFixtures } from './support/store-fixtures.ts'

// Every reply reports the same usage, so the budget's limit translates into a number of calls.
const usagePerCall = { inputTokens: 60, outputTokens: 40, cachedTokens: 20, reasoningTokens: 10 }
const tokensPerCall = usagePerCall.inputTokens + usagePerCall.outputTokens
const limitTokens = 5_000
const affordableCalls = Math.floor(limitTokens / tokensPerCall)
// ≈ 100 estimated input tokens (4 characters each): every reservation (estimate + maxOutputTokens) holds
// more than the call then reports, so admitted calls can never push `used` past the limit.
const prompt = `Summarise the quarterly figures in one word. ${'figures '.repeat(44)}`
const maxOutputTokens = usagePerCall.outputTokens
// Reservations hold at most this much (estimate + output + an injected warning; checked below).
const maxReservation = 200
const callsPerAdapter = 60
const lanes = 4
// One model name per adapter: the server's request bodies and the budget's per-model report tell them apart.
const models = { aiSdk: 'gpt-4o', langchain: 'gpt-4o-mini', openai: 'gpt-4.1' } as const
const prices = {
  'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10, cachedInputPerMillion: 1.25 },
  'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6, cachedInputPerMillion: 0.075 },
  'gpt-4.1': { inputPerMillion: 2, outputPerMillion: 8, cachedInputPerMillion: 0.5 },
}

describe('one budget shared by the three adapters', () => {
  let server: OpenAITestServer
  beforeAll(async () => {
    server = await startOpenAITestServer({ respond: () => ({ text: 'Steady.', usage: usagePerCall }) })
    // LangChain prints every refusal raised by a callback handler; keep the other messages.
    const print = console.error
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      if (String(args[0]).startsWith('Error in handler BudgetCallbackHandler')) return
      print(...args)
    })
  })
  afterAll(async () => {
    vi.restoreAllMocks()
    await server.close()
  })

  describe.each(storeFixtures)('on a $name', (fixture) => {
    let budget: Budget
    let close: () => Promise<void>
    beforeAll(async () => {
      server.reset()
      const opened = await fixture.open()
      close = opened.close
      budget = createBudget({
        // One threshold, crossed halfway, while the adapters still have calls to show it in.
        limits: [{ scope: 'global', tokens: limitTokens, thresholds: [0.5] }],
        store: opened.store,
        prices: { models: prices },
      })
    })
    afterAll(async () => {
      await budget.dispose()
      await close()
    })

    it('should admit no more calls than the budget affords and record exactly what the server reported', async () => {
      const call = adapterCallers({ budget, baseURL: server.url, models, prompt, maxOutputTokens })

      const events = { reserved: 0, settled: 0, released: 0, exceeded: 0, largestReservation: 0 }
      budget.on('reserved', ({ amount }) => {
        events.reserved++
        events.largestReservation = Math.max(events.largestReservation, amount.tokens)
      })
      budget.on('settled', () => events.settled++)
      budget.on('released', () => events.released++)
      budget.on('exceeded', () => events.exceeded++)
      const warnings: string[] = []
      budget.on('warning', ({ message }) => warnings.push(message))

      // 3 × 60 calls, each adapter in `lanes` concurrent lanes: the three adapters contend for the budget
      // as it runs out.
      const failures: unknown[] = []
      const lanesOf = (adapter: keyof typeof callKinds) => {
        let next = 0
        return Array.from({ length: lanes }, async () => {
          while (next < callsPerAdapter) {
            await call[adapter](next++).catch((error: unknown) => failures.push(error))
          }
        })
      }
      await Promise.all([...lanesOf('langchain'), ...lanesOf('aiSdk'), ...lanesOf('openai')])

      expect(failures.filter((error) => !BudgetExceededError.isInstance(error)).map(String)).toEqual([])
      const answered = 3 * callsPerAdapter - failures.length
      expect(failures.length).toBeGreaterThan(0)
      expect(events).toMatchObject({
        reserved: answered,
        settled: answered,
        released: 0,
        exceeded: failures.length,
      })

      // Only admitted calls reached the server, and no more than the limit affords.
      expect(server.requests.map((request) => request.kind)).not.toContain('other')
      expect(server.requests).toHaveLength(answered)
      expect(answered).toBeLessThanOrEqual(affordableCalls)
      // A refusal means used + reserved + the call's hold > limit, with at most 3 × lanes holds.
      expect(events.largestReservation).toBeLessThanOrEqual(maxReservation)
      expect(answered).toBeGreaterThanOrEqual(
        Math.floor((limitTokens - 3 * lanes * maxReservation) / tokensPerCall),
      )

      // The budget: within its limit, nothing left reserved.
      const statuses = await budget.status({})
      expect(statuses).toHaveLength(1)
      expect(statuses[0]).toMatchObject({ scope: 'global', unit: 'tokens', limit: limitTokens, reserved: 0 })
      expect(statuses[0]!.used).toBeLessThanOrEqual(limitTokens)

      // The recorded totals equal what the server reported, exactly.
      const sent = server.totals()
      const { totals, top } = await budget.report()
      expect(sent.requests).toBe(answered)
      expect(totals).toMatchObject({
        tokens: sent.inputTokens + sent.outputTokens,
        inputTokens: sent.inputTokens,
        outputTokens: sent.outputTokens,
        cachedInputTokens: sent.cachedTokens,
        reasoningTokens: sent.reasoningTokens,
        requests: sent.requests,
        estimatedRequests: 0,
        unpricedRequests: 0,
      })
      expect(statuses[0]!.used).toBe(totals.tokens)

      // The threshold was crossed once; the adapters that can change a call showed it to their model once
      // per conversation (one per adapter here: its context), in a later request.
      expect(warnings).toHaveLength(1)
      const carrying = (model: string) =>
        server.requests.filter(
          (request) =>
            request.body?.model === model &&
            JSON.stringify(request.body).includes(JSON.stringify(warnings[0]).slice(1, -1)),
        ).length
      expect(carrying(models.aiSdk)).toBeLessThanOrEqual(1)
      expect(carrying(models.openai)).toBeLessThanOrEqual(1)
      expect(carrying(models.aiSdk) + carrying(models.openai)).toBeGreaterThanOrEqual(1)
      expect(carrying(models.langchain)).toBe(0) // callbacks cannot change a call

      // Per adapter (one model each): requests, tokens and cost match the server's requests for it.
      const byModel = new Map((top.model ?? []).map((spender) => [spender.id, spender.usage]))
      for (const model of Object.values(models)) {
        const count = server.requests.filter((request) => request.body?.model === model).length
        expect(count).toBeGreaterThan(0)
        const usage = byModel.get(model)
        expect(usage).toMatchObject({ requests: count, tokens: count * tokensPerCall })
        const costPerCall = budget.cost(model, {
          inputTokens: usagePerCall.inputTokens,
          outputTokens: usagePerCall.outputTokens,
          cachedInputTokens: usagePerCall.cachedTokens,
          reasoningTokens: usagePerCall.reasoningTokens,
        })
        expect(costPerCall).toBeGreaterThan(0)
        expect(usage!.costUsd).toBeCloseTo(count * costPerCall!, 12)
      }
    })
  })
})
