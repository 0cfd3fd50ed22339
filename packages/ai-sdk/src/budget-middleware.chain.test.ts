import { createBudget } from '@tokenwarden/core'
import { generateText, streamText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { budgetMiddleware } from './budget-middleware.ts'
import { streamResult, textParts, textResult } from './test/model-results.ts'

const thread = { thread: 't-1' }

function setup() {
  const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1_000_000 }] })
  const held: number[] = []
  budget.on('reserved', (event) => held.push(event.amount.tokens ?? 0))
  return { budget, held }
}

describe('budgetMiddleware', () => {
  describe('response chains', () => {
    it('should floor a call that continues a response by what that response used', async () => {
      const { budget, held } = setup()
      const mock = new MockLanguageModelV4({
        doGenerate: async () => ({
          ...textResult('Hi', { input: 5_000, output: 200 }),
          response: { id: 'resp_1' },
        }),
      })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      await generateText({ model, prompt: 'First', maxOutputTokens: 10 })
      await generateText({
        model,
        prompt: 'And then?',
        maxOutputTokens: 10,
        providerOptions: { openai: { previousResponseId: 'resp_1' } },
      })
      expect(held[0]).toBeLessThan(100)
      expect(held[1]).toBeGreaterThan(5_200)
    })

    it('should take the response id of a stream from its metadata part', async () => {
      const { budget, held } = setup()
      const parts = textParts(['Hi'], { input: 3_000, output: 100 })
      parts.splice(1, 0, { type: 'response-metadata', id: 'resp_s' })
      const mock = new MockLanguageModelV4({ doStream: async () => streamResult(parts) })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      await streamText({ model, prompt: 'First', maxOutputTokens: 10 }).text
      await streamText({
        model,
        prompt: 'Next',
        maxOutputTokens: 10,
        providerOptions: { openai: { previousResponseId: 'resp_s' } },
      }).text
      expect(held[1]).toBeGreaterThan(3_100)
    })
  })
})
