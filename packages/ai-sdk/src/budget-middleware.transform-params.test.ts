import type { LanguageModelV4CallOptions, LanguageModelV4Prompt } from '@ai-sdk/provider'
import { createBudget } from '@tokenwarden/core'
import { generateText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { budgetMiddleware } from './budget-middleware.ts'
import { textResult } from './test/model-results.ts'

const thread = { thread: 't-1' }

function systemTexts(prompt: LanguageModelV4Prompt): string[] {
  return prompt.flatMap((message) => (message.role === 'system' ? [message.content] : []))
}

function _warningCount(calls: LanguageModelV4CallOptions[], text: string): number[] {
  return calls.map((call) => systemTexts(call.prompt).filter((content) => content.includes(text)).length)
}

describe('budgetMiddleware', () => {
  describe('transformParams', () => {
    it('should merge the static, computed and per-call context in that order and hide ours from the provider', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const contexts: unknown[] = []
      budget.on('reserved', (event) => contexts.push(event.context))
      const mock = new MockLanguageModelV4({ doGenerate: textResult('hi') })
      const middleware = budgetMiddleware({
        budget,
        context: async (params) => ({ agent: 'computed', user: `u-${params.prompt.length}` }),
      })
      const model = wrapLanguageModel({ model: mock, middleware })
      await generateText({
        model,
        prompt: 'Hi',
        providerOptions: { tokenwarden: { thread: 't-9', agent: 'per-call' }, openai: { store: false } },
      })
      expect(contexts).toEqual([{ agent: 'per-call', user: 'u-1', thread: 't-9' }])
      expect(mock.doGenerateCalls[0]!.providerOptions).toEqual({ openai: { store: false } })
    })

    it('should send the reserved maxOutputTokens: the default when the caller sets none, clamped when asked', async () => {
      const budget = createBudget({
        limits: [{ scope: 'thread', tokens: 1000 }],
        defaultMaxOutputTokens: 300,
      })
      const mock = new MockLanguageModelV4({ doGenerate: textResult('hi', { input: 600, output: 100 }) })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread, clamp: true }),
      })
      await generateText({ model, prompt: 'Hi' })
      expect(mock.doGenerateCalls[0]!.maxOutputTokens).toBe(300)
      // 700 used: 300 left, minus the estimated input of this prompt.
      await generateText({ model, prompt: 'Hi', maxOutputTokens: 1000 })
      const clamped = mock.doGenerateCalls[1]!.maxOutputTokens!
      expect(clamped).toBeLessThan(300)
      expect(clamped).toBeGreaterThan(250)
    })

    it('should place the warning after the leading system messages', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const mock = new MockLanguageModelV4({ doGenerate: textResult('hi', { input: 700, output: 100 }) })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      await generateText({ model, prompt: 'first', maxOutputTokens: 50 })
      await generateText({ model, system: 'You are terse.', prompt: 'second', maxOutputTokens: 50 })
      const prompt = mock.doGenerateCalls[1]!.prompt
      expect(prompt.map((message) => message.role)).toEqual(['system', 'system', 'user'])
      expect(prompt[0]).toMatchObject({ content: 'You are terse.' })
      expect(prompt[1]).toMatchObject({ content: expect.stringContaining('[Budget warning]') })
    })

    it('should show a one-line status on every call when injectStatus is set', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const mock = new MockLanguageModelV4({ doGenerate: textResult('hi', { input: 100, output: 100 }) })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread, injectStatus: true }),
      })
      await generateText({ model, prompt: 'one', maxOutputTokens: 50 })
      await generateText({ model, prompt: 'two', maxOutputTokens: 50 })
      const statuses = mock.doGenerateCalls.map((call) => systemTexts(call.prompt))
      expect(statuses[0]).toEqual([expect.stringMatching(/^\[Budget status\] thread "t-1" \[░+\] 0% /)])
      expect(statuses[1]).toEqual([expect.stringMatching(/^\[Budget status\] thread "t-1" \[██░+\] 20% /)])
    })

    it('should inject nothing for a dry-run budget', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100 }], mode: 'dry-run' })
      const mock = new MockLanguageModelV4({ doGenerate: textResult('hi', { input: 700, output: 100 }) })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread, injectStatus: true }),
      })
      await generateText({ model, prompt: 'one', maxOutputTokens: 50 })
      await generateText({ model, prompt: 'two', maxOutputTokens: 50 })
      expect(mock.doGenerateCalls.map((call) => systemTexts(call.prompt))).toEqual([[], []])
    })
  })
})
