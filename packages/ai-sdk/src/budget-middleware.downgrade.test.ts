import { BudgetValidationError, createBudget, type DowngradeEvent } from '@tokenwarden/core'
import { generateText, streamText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { budgetMiddleware } from './budget-middleware.ts'
import { recordSettlements, streamResult, textParts, textResult } from './test/model-results.ts'

const thread = { thread: 't-1' }

async function setup(share: number) {
  const budget = createBudget({
    limits: [{ scope: 'thread', tokens: 100_000 }],
    prices: {
      models: {
        'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
        'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
      },
    },
  })
  await budget.record(thread, { inputTokens: share * 100_000, outputTokens: 0 })
  const large = new MockLanguageModelV4({
    modelId: 'gpt-4o',
    doGenerate: textResult('large', { input: 100, output: 10 }),
    doStream: streamResult(textParts(['lar', 'ge'], { input: 100, output: 10 })),
  })
  const mini = new MockLanguageModelV4({
    modelId: 'gpt-4o-mini',
    doGenerate: textResult('mini', { input: 100, output: 10 }),
    doStream: streamResult(textParts(['mi', 'ni'], { input: 100, output: 10 })),
  })
  const events: DowngradeEvent[] = []
  const model = wrapLanguageModel({
    model: large,
    middleware: budgetMiddleware({
      budget,
      context: thread,
      downgrade: [{ atUsage: 0.9, model: mini }],
      onDowngraded: (event) => events.push(event),
    }),
  })
  return { budget, large, mini, model, events, settled: recordSettlements(budget) }
}

describe('budgetMiddleware', () => {
  describe('downgrade', () => {
    it('should call the wrapped model below the level', async () => {
      const { large, mini, model, events, settled } = await setup(0.89)
      const result = await generateText({ model, prompt: 'Hi', maxOutputTokens: 50 })
      expect(result.text).toBe('large')
      expect([large.doGenerateCalls.length, mini.doGenerateCalls.length]).toEqual([1, 0])
      expect(settled.map((event) => event.model)).toEqual(['gpt-4o'])
      expect(events).toEqual([])
      expect(result.providerMetadata?.tokenwarden).toBeUndefined()
    })

    it('should call the cheaper model above the level and charge the call to it', async () => {
      const { budget, large, mini, model, events, settled } = await setup(0.91)
      const budgetEvents: DowngradeEvent[] = []
      budget.on('downgraded', (event) => budgetEvents.push(event))
      const result = await generateText({ model, prompt: 'Hi', maxOutputTokens: 50 })
      expect(result.text).toBe('mini')
      expect([large.doGenerateCalls.length, mini.doGenerateCalls.length]).toEqual([0, 1])
      expect(mini.doGenerateCalls[0]!.maxOutputTokens).toBe(50)
      expect(settled.map((event) => [event.model, event.usage.costUsd])).toEqual([
        ['gpt-4o-mini', (100 * 0.15 + 10 * 0.6) / 1e6],
      ])
      expect(events).toEqual([
        { context: thread, from: 'gpt-4o', to: 'gpt-4o-mini', usage: 0.91, atUsage: 0.9 },
      ])
      expect(budgetEvents).toEqual(events) // for alerts and metrics too
      expect(result.providerMetadata?.tokenwarden).toEqual({ model: 'gpt-4o-mini', downgradedFrom: 'gpt-4o' })
      const report = await budget.report()
      expect(report.top.model?.map((spender) => spender.id)).toEqual(['gpt-4o-mini'])
    })

    it('should stream from the cheaper model above the level', async () => {
      const { large, mini, model, settled } = await setup(0.95)
      const result = streamText({ model, prompt: 'Hi', maxOutputTokens: 50 })
      expect(await result.text).toBe('mini')
      expect([large.doStreamCalls.length, mini.doStreamCalls.length]).toEqual([0, 1])
      expect(
        settled.map((event) => [event.model, event.usage.inputTokens, event.usage.outputTokens]),
      ).toEqual([['gpt-4o-mini', 100, 10]])
    })

    it('should name a bad level in a BudgetValidationError', () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      try {
        budgetMiddleware({ budget, downgrade: [{ atUsage: 2, model: new MockLanguageModelV4() }] })
        expect.unreachable()
      } catch (error) {
        expect(BudgetValidationError.isInstance(error) && error.field).toBe('downgrade[0].atUsage')
      }
    })
  })
})
