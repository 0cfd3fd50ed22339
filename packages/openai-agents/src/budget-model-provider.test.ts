import { Agent, getDefaultModel } from '@openai/agents'
import { BudgetExceededError, createBudget } from '@tokenwarden/core'
import type { OpenAITestServer } from '@tokenwarden/openai-test-server'
import type OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type Api,
  budgetedRunner,
  instructionsOf,
  recordSettlements,
  researchTeam,
  reservedOf,
  serverTotals,
  startServer,
  sumUsage,
  teamReplies,
} from './test/agents-fixture.ts'
import { withBudgetContext } from './with-budget-context.ts'

const thread = { thread: 't-1' }

describe('budgetModelProvider', () => {
  let server: OpenAITestServer
  let client: OpenAI
  beforeAll(async () => {
    ;({ server, client } = await startServer())
  })
  afterAll(() => server.close())
  beforeEach(() => server.reset())

  for (const api of ['responses', 'chat'] as const satisfies Api[]) {
    describe(`with OpenAIProvider on the ${api} API`, () => {
      for (const stream of [false, true]) {
        it(`should record exactly the server's usage of a run with a tool call and a handoff, per agent (${stream ? 'streamed' : 'JSON'})`, async () => {
          const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1_000_000 }] })
          const settled = recordSettlements(budget)
          const runner = budgetedRunner(client, api, { budget })
          const { researcher } = researchTeam()
          server.enqueue(...teamReplies)
          const result = await withBudgetContext(thread, async () => {
            if (!stream) return runner.run(researcher, 'Why are there tides?')
            const streamed = await runner.run(researcher, 'Why are there tides?', { stream: true })
            for await (const _ of streamed) {
              // consume
            }
            await streamed.completed
            return streamed
          })
          expect(result.finalOutput).toBe('Tides follow the moon.')
          expect(server.requests.map((request) => request.stream)).toEqual([stream, stream, stream])
          expect(settled.map((event) => event.context)).toEqual([
            { agent: 'researcher', thread: 't-1' },
            { agent: 'researcher', thread: 't-1' },
            { agent: 'writer', thread: 't-1' },
          ])
          expect(settled.every((event) => !event.estimated && event.model === 'gpt-4o')).toBe(true)
          expect(sumUsage(settled.map((event) => event.usage))).toEqual(serverTotals(server))
          expect(serverTotals(server).cachedTokens).toBe(164)
          expect(await reservedOf(budget, thread)).toBe(0)
        })
      }

      it('should send nothing for a call the budget cannot afford and reject run() with the BudgetExceededError', async () => {
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 500 }] })
        const runner = budgetedRunner(client, api, { budget, defaultMaxOutputTokens: 1000 })
        const { researcher } = researchTeam()
        const error = await withBudgetContext(thread, () => runner.run(researcher, 'Hi')).catch((e) => e)
        expect(BudgetExceededError.isInstance(error)).toBe(true)
        expect(error).toMatchObject({ scope: 'thread', limit: 500 })
        expect(server.requests).toHaveLength(0)
        expect(await reservedOf(budget, thread)).toBe(0)
      })

      it('should reject a streamed run with the BudgetExceededError and send nothing', async () => {
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 500 }] })
        const runner = budgetedRunner(client, api, { budget, context: thread, defaultMaxOutputTokens: 1000 })
        const streamed = await runner.run(researchTeam().researcher, 'Hi', { stream: true })
        const error = await (async () => {
          for await (const _ of streamed) {
            // nothing arrives
          }
          await streamed.completed
        })().catch((caught) => caught)
        expect(BudgetExceededError.isInstance(error)).toBe(true)
        expect(server.requests).toHaveLength(0)
        expect(await reservedOf(budget, thread)).toBe(0)
      })

      for (const stream of [false, true]) {
        it(`should end the run with exceededText when onExceeded is 'finish' (${stream ? 'streamed' : 'JSON'})`, async () => {
          const budget = createBudget({ limits: [{ scope: 'thread', tokens: 500 }] })
          const runner = budgetedRunner(client, api, {
            budget,
            context: thread,
            defaultMaxOutputTokens: 1000,
            onExceeded: 'finish',
            exceededText: (error) => `Out of budget (${error.scope}).`,
          })
          const { researcher } = researchTeam()
          let output: unknown
          if (stream) {
            const streamed = await runner.run(researcher, 'Hi', { stream: true })
            const text = streamed.toTextStream()
            let seen = ''
            for await (const delta of text) seen += delta
            await streamed.completed
            expect(seen).toBe('Out of budget (thread).')
            output = streamed.finalOutput
          } else output = (await runner.run(researcher, 'Hi')).finalOutput
          expect(output).toBe('Out of budget (thread).')
          expect(server.requests).toHaveLength(0)
        })
      }

      it('should show a warning to the model once per crossing, after the instructions', async () => {
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
        const runner = budgetedRunner(client, api, { budget, context: thread, defaultMaxOutputTokens: 50 })
        const { writer } = researchTeam()
        server.enqueue(
          { text: 'one', usage: { inputTokens: 800, outputTokens: 10 } },
          { text: 'two', usage: { inputTokens: 5, outputTokens: 5 } },
          { text: 'three', usage: { inputTokens: 5, outputTokens: 5 } },
        )
        for (const prompt of ['first', 'second', 'third']) await runner.run(writer, prompt)
        const [first, second, third] = server.requests.map(instructionsOf)
        expect(first).toBe('Write the answer.')
        expect(second).toMatch(/^Write the answer\.\n\n.*\[Budget warning\]/s)
        expect(third).toBe('Write the answer.')
      })

      it('should release the reservation of a call the server refuses', async () => {
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
        const settled = recordSettlements(budget)
        const runner = budgetedRunner(client, api, { budget, context: thread })
        server.enqueue({ status: 500 })
        await expect(runner.run(researchTeam().writer, 'Hi')).rejects.toThrow()
        expect(settled).toHaveLength(0)
        expect(await reservedOf(budget, thread)).toBe(0)
      })

      it("should budget an agent without a model under the SDK's default model (the provider is asked for '')", async () => {
        const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
        const settled = recordSettlements(budget)
        const runner = budgetedRunner(client, api, { budget, context: thread })
        server.enqueue({ text: 'Hello.' })
        const result = await runner.run(new Agent({ name: 'assistant', instructions: 'Be brief.' }), 'Hi')
        expect(result.finalOutput).toBe('Hello.')
        expect(settled.map((event) => event.model)).toEqual([getDefaultModel()])
      })
    })
  }
})
