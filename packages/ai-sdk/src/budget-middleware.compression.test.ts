import type { LanguageModelV4Prompt } from '@ai-sdk/provider'
import { type CompressionEvent, createBudget, type LimitConfig, truncationMarker } from '@tokenwarden/core'
import { generateText, type ModelMessage, streamText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { budgetMiddleware } from './budget-middleware.ts'
import { estimatePromptTokens } from './estimate-prompt-tokens.ts'
import { recordSettlements, streamResult, textParts, textResult } from './test/model-results.ts'

const thread = { thread: 't-1' }
const system = 'You are a careful financial analyst.'
const lastQuestion = 'Now compare Q3 with Q2 in two sentences.'

/** A conversation with a long tool result, a pasted report, acknowledgements and a final question. */
function conversation(): ModelMessage[] {
  return [
    { role: 'user', content: `Here is the annual report:\n${'Revenue grew in every region. '.repeat(600)}` },
    { role: 'assistant', content: 'Thanks, I read it.' },
    { role: 'user', content: 'Find the Q3 revenue.' },
    {
      role: 'assistant',
      content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'search', input: { query: 'Q3 revenue' } }],
    },
    {
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: 'c1',
          toolName: 'search',
          output: { type: 'text', value: `Q3 revenue was $4.2M. ${'Unrelated search noise. '.repeat(1500)}` },
        },
      ],
    },
    { role: 'assistant', content: 'Q3 revenue was $4.2M.' },
    { role: 'user', content: 'ok' },
    { role: 'assistant', content: 'Anything else?' },
    { role: 'user', content: lastQuestion },
  ]
}

/** A budget whose thread has already used `share` of 100,000 tokens. */
async function budgetAt(share: number, limits: LimitConfig[] = []) {
  const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }, ...limits] })
  await budget.record(thread, { inputTokens: share * 100_000, outputTokens: 0 })
  return budget
}

function lastMessageText(prompt: LanguageModelV4Prompt): string {
  const last = prompt.at(-1)!
  return last.role === 'user' && typeof last.content !== 'string' && last.content[0]?.type === 'text'
    ? last.content[0].text
    : ''
}

describe('budgetMiddleware', () => {
  describe('compression', () => {
    it('should send the prompt unchanged below the first level', async () => {
      const budget = await budgetAt(0.5)
      const mock = new MockLanguageModelV4({ doGenerate: textResult('Q3 beat Q2.') })
      const events: CompressionEvent[] = []
      const middleware = budgetMiddleware({
        budget,
        context: thread,
        compression: true,
        onCompressed: (event) => events.push(event),
      })
      const plain = new MockLanguageModelV4({ doGenerate: textResult('Q3 beat Q2.') })
      await generateText({
        model: wrapLanguageModel({ model: mock, middleware }),
        system,
        messages: conversation(),
      })
      await generateText({ model: plain, system, messages: conversation() })
      expect(mock.doGenerateCalls[0]!.prompt).toEqual(plain.doGenerateCalls[0]!.prompt)
      expect(events).toEqual([])
    })

    it('should fit the prompt to the moderate target at 70%, truncating the longest tool result', async () => {
      const budget = await budgetAt(0.75)
      const mock = new MockLanguageModelV4({ doGenerate: textResult('Q3 beat Q2.') })
      const events: CompressionEvent[] = []
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({
          budget,
          context: thread,
          injectWarnings: false,
          compression: { keepLatestTurns: 1 },
          onCompressed: (event) => events.push(event),
        }),
      })
      await generateText({ model, system, messages: conversation(), maxOutputTokens: 100 })
      const [event] = events
      const prompt = mock.doGenerateCalls[0]!.prompt
      expect(event).toMatchObject({
        level: 'moderate',
        fits: true,
        truncated: 1,
        summarized: 0,
        context: thread,
      })
      expect(estimatePromptTokens({ prompt }, budget.estimator)).toBeLessThanOrEqual(event!.targetTokens)
      expect(event!.targetTokens).toBeLessThan(event!.originalTokens * 0.61)
      expect(prompt[0]).toEqual({ role: 'system', content: system })
      expect(lastMessageText(prompt)).toBe(lastQuestion)
      const tool = prompt.find((message) => message.role === 'tool')!
      expect(JSON.stringify(tool.content)).toContain('Q3 revenue was $4.2M.')
      expect(JSON.stringify(tool.content)).toContain(JSON.stringify(truncationMarker).slice(1, -1))
    })

    it('should summarize older turns at 90% with the named model and charge the summary call', async () => {
      const budget = await budgetAt(0.92)
      const settled = recordSettlements(budget)
      const summarizer = new MockLanguageModelV4({
        modelId: 'summary-mini',
        doGenerate: textResult('- Annual report: revenue grew everywhere.\n- Q3 revenue: $4.2M.', {
          input: 3000,
          output: 20,
        }),
      })
      const mock = new MockLanguageModelV4({
        modelId: 'gpt-4o',
        doGenerate: textResult('Q3 beat Q2.', { input: 400, output: 10 }),
      })
      const events: CompressionEvent[] = []
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({
          budget,
          context: thread,
          injectWarnings: false,
          compression: { summarizer },
          onCompressed: (event) => events.push(event),
        }),
      })
      await generateText({ model, system, messages: conversation(), maxOutputTokens: 100 })
      expect(summarizer.doGenerateCalls).toHaveLength(1)
      const summaryPrompt = JSON.stringify(summarizer.doGenerateCalls[0]!.prompt)
      expect(summaryPrompt).toContain('annual report')
      expect(summaryPrompt).not.toContain(lastQuestion)
      const [event] = events
      expect(event).toMatchObject({ level: 'aggressive', fits: true, summaryModel: 'summary-mini' })
      expect(event!.summarized).toBeGreaterThan(0)
      const prompt = mock.doGenerateCalls[0]!.prompt
      expect(estimatePromptTokens({ prompt }, budget.estimator)).toBeLessThanOrEqual(event!.targetTokens)
      expect(prompt[0]).toEqual({ role: 'system', content: system })
      expect(prompt[1]).toMatchObject({
        role: 'system',
        content: expect.stringContaining('Q3 revenue: $4.2M.'),
      })
      expect(lastMessageText(prompt)).toBe(lastQuestion)
      expect(JSON.stringify(prompt)).not.toContain('Revenue grew in every region.')
      expect(
        settled.map((entry) => [entry.model, entry.usage.inputTokens, entry.usage.outputTokens]),
      ).toEqual([
        ['summary-mini', 3000, 20],
        ['gpt-4o', 400, 10],
      ])
      const [status] = await budget.status(thread)
      expect(status!.used).toBe(92_000 + 3020 + 410)
    })

    it('should drop the turns to summarize when the budget refuses the summary call', async () => {
      // The summarizer's model may use 100 tokens: its call is refused.
      const budget = await budgetAt(0.92, [{ scope: 'model', id: 'summary-mini', tokens: 100 }])
      const summarizer = new MockLanguageModelV4({ modelId: 'summary-mini', doGenerate: textResult('never') })
      const mock = new MockLanguageModelV4({ doGenerate: textResult('Q3 beat Q2.') })
      const events: CompressionEvent[] = []
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({
          budget,
          context: thread,
          injectWarnings: false,
          compression: { summarizer },
          onCompressed: (event) => events.push(event),
        }),
      })
      await generateText({ model, system, messages: conversation(), maxOutputTokens: 100 })
      expect(summarizer.doGenerateCalls).toHaveLength(0)
      expect(events[0]!.summaryError).toMatch(/budget/i)
      const prompt = mock.doGenerateCalls[0]!.prompt
      expect(prompt[0]).toEqual({ role: 'system', content: system })
      expect(lastMessageText(prompt)).toBe(lastQuestion)
      expect(estimatePromptTokens({ prompt }, budget.estimator)).toBeLessThan(events[0]!.originalTokens / 2)
    })

    it('should truncate a JSON tool result to text and keep an error result an error', async () => {
      const budget = await budgetAt(0.75)
      const mock = new MockLanguageModelV4({ doGenerate: textResult('Q3 beat Q2.') })
      const rows = Array.from({ length: 800 }, (_, index) => ({ quarter: 'Q3', row: index, note: 'noise' }))
      const messages: ModelMessage[] = [
        { role: 'user', content: 'Find the Q3 revenue.' },
        {
          role: 'assistant',
          content: [
            { type: 'tool-call', toolCallId: 'c1', toolName: 'search', input: { query: 'Q3' } },
            { type: 'tool-call', toolCallId: 'c2', toolName: 'lookup', input: { query: 'Q3' } },
          ],
        },
        {
          role: 'tool',
          content: [
            {
              type: 'tool-result',
              toolCallId: 'c1',
              toolName: 'search',
              output: { type: 'json', value: rows },
            },
            {
              type: 'tool-result',
              toolCallId: 'c2',
              toolName: 'lookup',
              output: { type: 'error-json', value: { error: 'timeout', detail: 'slow '.repeat(2000) } },
            },
          ],
        },
        { role: 'assistant', content: 'Q3 revenue was $4.2M.' },
        { role: 'user', content: lastQuestion },
      ]
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({
          budget,
          context: thread,
          injectWarnings: false,
          compression: { keepLatestTurns: 1 },
        }),
      })
      await generateText({ model, messages, maxOutputTokens: 100 })
      const tool = mock.doGenerateCalls[0]!.prompt.find((message) => message.role === 'tool')!
      const outputs = (tool.content as { output: { type: string; value: unknown } }[]).map(
        (part) => part.output,
      )
      expect(outputs.map((output) => output.type)).toEqual(['text', 'error-text'])
      for (const output of outputs) expect(String(output.value).endsWith(truncationMarker)).toBe(true)
      expect(String(outputs[0]!.value).startsWith('[{"quarter":"Q3","row":0')).toBe(true)
    })

    it('should compress streamed calls the same way', async () => {
      const budget = await budgetAt(0.75)
      const mock = new MockLanguageModelV4({ doStream: streamResult(textParts(['Q3 ', 'beat Q2.'])) })
      const events: CompressionEvent[] = []
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({
          budget,
          context: thread,
          injectWarnings: false,
          compression: true,
          onCompressed: (event) => events.push(event),
        }),
      })
      const result = streamText({ model, system, messages: conversation(), maxOutputTokens: 100 })
      expect(await result.text).toBe('Q3 beat Q2.')
      const prompt = mock.doStreamCalls[0]!.prompt
      expect(estimatePromptTokens({ prompt }, budget.estimator)).toBeLessThanOrEqual(events[0]!.targetTokens)
      expect(lastMessageText(prompt)).toBe(lastQuestion)
    })
  })
})
