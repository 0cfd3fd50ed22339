import type { LanguageModelV4CallOptions, LanguageModelV4Prompt } from '@ai-sdk/provider'
import {
  type BudgetEvents,
  BudgetExceededError,
  BudgetValidationError,
  createBudget,
  MissingScopeError,
} from '@tokenwarden/core'
import { createProviderRegistry, generateText, wrapLanguageModel, wrapProvider } from 'ai'
import { MockLanguageModelV4, MockProviderV4 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { budgetExceededFinishReason } from './budget-exceeded-result.ts'
import { budgetMiddleware } from './budget-middleware.ts'
import { recordSettlements, reservedOf, textResult, unreportedUsage, usedOf } from './test/model-results.ts'

const thread = { thread: 't-1' }

function systemTexts(prompt: LanguageModelV4Prompt): string[] {
  return prompt.flatMap((message) => (message.role === 'system' ? [message.content] : []))
}

function warningCount(calls: LanguageModelV4CallOptions[], text: string): number[] {
  return calls.map((call) => systemTexts(call.prompt).filter((content) => content.includes(text)).length)
}

describe('budgetMiddleware', () => {
  describe('options', () => {
    it('should name the bad field in a BudgetValidationError', () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const cases: [Record<string, unknown>, string][] = [
        [{ budget: undefined }, 'budget'],
        [{ budget, onExceeded: 'stop' }, 'onExceeded'],
        [{ budget, defaultMaxOutputTokens: 0 }, 'defaultMaxOutputTokens'],
        [{ budget, defaultMaxOutputTokens: 1.5 }, 'defaultMaxOutputTokens'],
        [{ budget, context: 'thread' }, 'context'],
        [{ budget, modelId: '' }, 'modelId'],
        [{ budget, clamp: 'yes' }, 'clamp'],
        [{ budget, exceededText: 'no' }, 'exceededText'],
      ]
      for (const [options, field] of cases) {
        let caught: unknown
        try {
          budgetMiddleware(options as never)
        } catch (error) {
          caught = error
        }
        expect(BudgetValidationError.isInstance(caught), field).toBe(true)
        expect((caught as BudgetValidationError).field).toBe(field)
      }
    })

    it('should reject a per-call scope that is not a string, naming it, without calling the model', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const mock = new MockLanguageModelV4({ doGenerate: textResult('hi') })
      const model = wrapLanguageModel({ model: mock, middleware: budgetMiddleware({ budget }) })
      const call = generateText({ model, prompt: 'Hi', providerOptions: { tokenwarden: { thread: 42 } } })
      await expect(call).rejects.toMatchObject({ field: 'providerOptions.tokenwarden.thread' })
      expect(mock.doGenerateCalls).toHaveLength(0)
    })
  })

  describe('generateText', () => {
    it('should show a crossed warning to the model once and never again for the same threshold', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const mock = new MockLanguageModelV4({
        doGenerate: [
          textResult('a', { input: 700, output: 100 }), // crosses 75%
          textResult('b', { input: 10, output: 10 }),
          textResult('c', { input: 10, output: 10 }),
          textResult('d', { input: 50, output: 20 }), // crosses 90%
          textResult('e', { input: 1, output: 1 }),
        ],
      })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      for (const prompt of ['1', '2', '3', '4', '5'])
        await generateText({ model, prompt, maxOutputTokens: 20 })
      expect(warningCount(mock.doGenerateCalls, 'Plan the remaining work')).toEqual([0, 1, 0, 0, 0])
      expect(warningCount(mock.doGenerateCalls, 'Wrap up')).toEqual([0, 0, 0, 0, 1])
      expect(warningCount(mock.doGenerateCalls, '[Budget warning]')).toEqual([0, 1, 0, 0, 1])
    })

    it('should deliver warnings per conversation: each thread sees a shared limit crossing once', async () => {
      const budget = createBudget({ limits: [{ scope: 'agent', tokens: 1000 }] })
      let calls = 0
      const mock = new MockLanguageModelV4({
        doGenerate: async () =>
          ++calls === 1 ? textResult('a', { input: 700, output: 100 }) : textResult('b'),
      })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: { agent: 'researcher' } }),
      })
      const ask = (threadId: string) =>
        generateText({
          model,
          prompt: 'x',
          maxOutputTokens: 5,
          providerOptions: { tokenwarden: { thread: threadId } },
        })
      await ask('a')
      await ask('a')
      await ask('b')
      await ask('a')
      await ask('b')
      expect(warningCount(mock.doGenerateCalls, '[Budget warning]')).toEqual([0, 1, 1, 0, 0])
    })

    it('should never call the model when the budget cannot afford the call, and throw BudgetExceededError', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const mock = new MockLanguageModelV4({ doGenerate: textResult('hi', { input: 900, output: 50 }) })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      await generateText({ model, prompt: 'Hi', maxOutputTokens: 50 })
      const error = await generateText({ model, prompt: 'Hi', maxOutputTokens: 100 }).catch((e: unknown) => e)
      expect(BudgetExceededError.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ scope: 'thread', scopeId: 't-1', remaining: 50 })
      expect(mock.doGenerateCalls).toHaveLength(1)
      expect(await reservedOf(budget, thread)).toBe(0)
    })

    it('should say when the default output reservation is what the budget cannot afford, naming the fixes', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const mock = new MockLanguageModelV4({ doGenerate: textResult('hi') })
      const middleware = budgetMiddleware({ budget, context: thread, defaultMaxOutputTokens: 2000 })
      const model = wrapLanguageModel({ model: mock, middleware })
      const error = await generateText({ model, prompt: 'Hi' }).catch((e: unknown) => e)
      expect(BudgetExceededError.isInstance(error)).toBe(true)
      expect(error).toMatchObject({ outputFromDefault: true, defaultOutputTokens: 2000 })
      expect((error as Error).message).toContain(
        "of which 2,000 tokens are output reserved by default because the call set no output limit (the input alone fits): set the call's output limit (maxOutputTokens), lower defaultMaxOutputTokens, or turn on clamp",
      )
      expect(mock.doGenerateCalls).toHaveLength(0)
      // With a limit of the caller's own the refusal is a plain one.
      const own = await generateText({ model, prompt: 'Hi', maxOutputTokens: 2000 }).catch((e: unknown) => e)
      expect(own).toMatchObject({ outputFromDefault: false })
      // onExceeded: 'finish' shows the same explanation as its text.
      const finishing = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread, onExceeded: 'finish' }),
      })
      const { text } = await generateText({ model: finishing, prompt: 'Hi' })
      expect(text).toContain('lower defaultMaxOutputTokens, or turn on clamp')
      expect(mock.doGenerateCalls).toHaveLength(0)
      expect(await reservedOf(budget, thread)).toBe(0)
    })

    it('should reject a call without the thread id with MissingScopeError, without calling the model', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const mock = new MockLanguageModelV4({ doGenerate: textResult('hi') })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: { agent: 'a' }, onExceeded: 'finish' }),
      })
      const error = await generateText({ model, prompt: 'Hi' }).catch((e: unknown) => e)
      expect(MissingScopeError.isInstance(error)).toBe(true)
      expect((error as Error).message).toContain('providerOptions: { tokenwarden: { thread } }')
      expect(mock.doGenerateCalls).toHaveLength(0)
      await generateText({
        model,
        prompt: 'Hi',
        maxOutputTokens: 50,
        providerOptions: { tokenwarden: thread },
      })
      expect(mock.doGenerateCalls).toHaveLength(1)
    })

    it("should finish with an explanatory text instead with onExceeded: 'finish'", async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100 }] })
      const mock = new MockLanguageModelV4({ doGenerate: textResult('hi') })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({
          budget,
          context: thread,
          onExceeded: 'finish',
          exceededText: (error) => `Out of budget (${error.scope}).`,
        }),
      })
      const result = await generateText({ model, prompt: 'Hi', maxOutputTokens: 500 })
      expect(result.text).toBe('Out of budget (thread).')
      expect(result.finishReason).toBe('other')
      expect(result.rawFinishReason).toBe(budgetExceededFinishReason)
      expect(result.providerMetadata?.tokenwarden).toMatchObject({ budgetExceeded: true, scope: 'thread' })
      expect(result.usage.totalTokens).toBe(0)
      expect(mock.doGenerateCalls).toHaveLength(0)
    })

    it('should settle the provider usage with cached and reasoning tokens kept apart', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const settled = recordSettlements(budget)
      const mock = new MockLanguageModelV4({
        doGenerate: textResult('hi', { input: 120, output: 40, cached: 100, reasoning: 30 }),
      })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      await generateText({ model, prompt: 'Hi' })
      expect(settled).toHaveLength(1)
      expect(settled[0]!.usage).toMatchObject({
        tokens: 160,
        inputTokens: 120,
        cachedInputTokens: 100,
        outputTokens: 40,
        reasoningTokens: 30,
        requests: 1,
        estimatedRequests: 0,
      })
      expect(await usedOf(budget, thread)).toBe(160)
      expect(await reservedOf(budget, thread)).toBe(0)
    })

    it('should settle an estimate, marked as such, when the provider reports no usage', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const settled = recordSettlements(budget)
      const text = 'x'.repeat(400)
      const mock = new MockLanguageModelV4({ doGenerate: textResult(text, unreportedUsage) })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      await generateText({ model, prompt: 'y'.repeat(400) })
      expect(settled[0]).toMatchObject({
        estimated: true,
        usage: { outputTokens: 100, estimatedRequests: 1 },
      })
      expect(settled[0]!.usage.inputTokens).toBeGreaterThanOrEqual(100)
      expect(await reservedOf(budget, thread)).toBe(0)
    })

    it('should settle NaN or negative provider usage from the estimate, never as 0, and report it', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const settled = recordSettlements(budget)
      const rejected: BudgetEvents['usageRejected'][] = []
      budget.on('usageRejected', (event) => rejected.push(event))
      const text = 'x'.repeat(400)
      const garbage = {
        inputTokens: { total: Number.NaN, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
        outputTokens: { total: -5, text: undefined, reasoning: undefined },
      }
      const mock = new MockLanguageModelV4({ doGenerate: textResult(text, garbage) })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      await generateText({ model, prompt: 'y'.repeat(400) })
      expect(settled).toHaveLength(1)
      expect(settled[0]).toMatchObject({
        estimated: true,
        usage: { outputTokens: 100, estimatedRequests: 1 },
      })
      expect(settled[0]!.usage.inputTokens).toBeGreaterThanOrEqual(100)
      expect(rejected).toEqual([
        expect.objectContaining({ context: thread, fields: ['inputTokens', 'outputTokens'] }),
      ])
      expect(await usedOf(budget, thread)).toBe(settled[0]!.usage.tokens)
      expect(await reservedOf(budget, thread)).toBe(0)
    })

    it('should release the reservation of a call that fails', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 10_000 }] })
      const settled = recordSettlements(budget)
      const released: string[] = []
      budget.on('released', (event) => released.push(event.reservationId))
      const mock = new MockLanguageModelV4({
        doGenerate: async () => {
          throw new Error('provider down')
        },
      })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      await expect(generateText({ model, prompt: 'Hi', maxRetries: 0 })).rejects.toThrow('provider down')
      expect(released).toHaveLength(1)
      expect(settled).toHaveLength(0)
      expect(await reservedOf(budget, thread)).toBe(0)
      expect(await usedOf(budget, thread)).toBe(0)
    })
    it('should show the warning again at the next call when the call carrying it failed', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      let call = 0
      const mock = new MockLanguageModelV4({
        doGenerate: async () => {
          call++
          if (call === 2) throw new Error('provider down')
          return textResult('ok', call === 1 ? { input: 700, output: 100 } : { input: 10, output: 10 })
        },
      })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      await generateText({ model, prompt: '1', maxOutputTokens: 20 })
      await expect(generateText({ model, prompt: '2', maxOutputTokens: 20, maxRetries: 0 })).rejects.toThrow()
      await generateText({ model, prompt: '3', maxOutputTokens: 20 })
      await generateText({ model, prompt: '4', maxOutputTokens: 20 })
      expect(warningCount(mock.doGenerateCalls, '[Budget warning]')).toEqual([0, 1, 1, 0])
    })

    it('should count the injected notice in the reservation', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const reserved: number[] = []
      budget.on('reserved', (event) => reserved.push(event.amount.inputTokens))
      const mock = new MockLanguageModelV4({
        doGenerate: [
          textResult('a', { input: 700, output: 100 }),
          textResult('b', { input: 10, output: 10 }),
        ],
      })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      await generateText({ model, prompt: 'Hi', maxOutputTokens: 20 })
      await generateText({ model, prompt: 'Hi', maxOutputTokens: 20 })
      const notice = systemTexts(mock.doGenerateCalls[1]!.prompt).join('')
      expect(reserved[1]! - reserved[0]!).toBeGreaterThanOrEqual(budget.estimator.count(notice))
    })
  })

  describe('providers', () => {
    it('should budget every model of wrapProvider and createProviderRegistry', async () => {
      const budget = createBudget({ limits: [{ scope: 'agent', tokens: 10_000 }] })
      const settled = recordSettlements(budget)
      const mock = new MockLanguageModelV4({
        modelId: 'small',
        doGenerate: textResult('hi', { input: 7, output: 3 }),
      })
      const provider = new MockProviderV4({ languageModels: { small: mock } })
      const middleware = budgetMiddleware({ budget, context: { agent: 'a' } })
      const wrapped = wrapProvider({ provider, languageModelMiddleware: middleware })
      await generateText({ model: wrapped.languageModel('small'), prompt: 'Hi' })
      const registry = createProviderRegistry({ mock: provider }, { languageModelMiddleware: middleware })
      await generateText({ model: registry.languageModel('mock:small'), prompt: 'Hi' })
      expect(settled.map((event) => [event.model, event.usage.tokens])).toEqual([
        ['small', 10],
        ['small', 10],
      ])
      expect(await usedOf(budget, { agent: 'a' })).toBe(20)
    })
  })
})
