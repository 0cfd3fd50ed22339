import { createBudget, heuristicEstimator } from '@tokenwarden/core'
import { generateText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { budgetMiddleware } from './budget-middleware.ts'
import { estimatePromptTokens } from './estimate-prompt-tokens.ts'
import { reservedOf, textResult, usedOf } from './test/model-results.ts'

describe('budgetMiddleware', () => {
  describe('concurrency', () => {
    it('should call the model at most as often as the budget affords under 200 concurrent calls', async () => {
      const maxOutputTokens = 20
      const prompt = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'What is 2 + 2?' }] }]
      const perCall = estimatePromptTokens({ prompt }, heuristicEstimator) + maxOutputTokens
      const limit = perCall * 50
      const budget = createBudget({ limits: [{ scope: 'global', tokens: limit }] })
      // The provider reports exactly what was reserved: the budget affords exactly 50 calls.
      const mock = new MockLanguageModelV4({
        doGenerate: async () => {
          await new Promise((resolve) => setImmediate(resolve))
          return textResult('4', { input: perCall - maxOutputTokens, output: maxOutputTokens })
        },
      })
      const model = wrapLanguageModel({ model: mock, middleware: budgetMiddleware({ budget: budget }) })
      const outcomes = await Promise.allSettled(
        Array.from({ length: 200 }, () =>
          generateText({ model, messages: [{ role: 'user', content: 'What is 2 + 2?' }], maxOutputTokens }),
        ),
      )
      const fulfilled = outcomes.filter((outcome) => outcome.status === 'fulfilled').length
      const refused = outcomes.filter(
        (outcome) =>
          outcome.status === 'rejected' && (outcome.reason as Error).name === 'BudgetExceededError',
      ).length
      expect(mock.doGenerateCalls.length).toBeLessThanOrEqual(50)
      expect(fulfilled).toBe(mock.doGenerateCalls.length)
      expect(fulfilled + refused).toBe(200)
      expect(fulfilled).toBe(50)
      const used = await usedOf(budget, {})
      expect(used).toBeLessThanOrEqual(limit)
      expect(used).toBe(limit)
      expect(await reservedOf(budget, {})).toBe(0)
    })
  })
})
