import type { LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider'
import { createBudget } from '@tokenwarden/core'
import { generateText, stepCountIs, ToolLoopAgent, tool, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { budgetExceededFinishReason } from './budget-exceeded-result.ts'
import { budgetMiddleware } from './budget-middleware.ts'
import {
  modelUsage,
  type ReportedUsage,
  recordSettlements,
  reservedOf,
  streamResult,
  textParts,
  textResult,
  toolCallResult,
  usedOf,
} from './test/model-results.ts'

const thread = { thread: 't-1' }

const tools = {
  weather: tool({
    description: 'The weather in a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => `sunny in ${city}`,
  }),
}

function warningsShown(calls: LanguageModelV4CallOptions[]): number[] {
  return calls.map(
    (call) =>
      call.prompt.filter(
        (message) => message.role === 'system' && message.content.includes('[Budget warning]'),
      ).length,
  )
}

function toolCallParts(id: string, usage: ReportedUsage): LanguageModelV4StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'tool-call', toolCallId: id, toolName: 'weather', input: JSON.stringify({ city: 'Paris' }) },
    { type: 'finish', usage: modelUsage(usage), finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
  ]
}

describe('budgetMiddleware', () => {
  describe('tool loops', () => {
    it('should charge every step of generateText and show a warning crossed in step n in step n+1 only', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const settled = recordSettlements(budget)
      const mock = new MockLanguageModelV4({
        doGenerate: [
          toolCallResult('weather', { city: 'Paris' }, { input: 700, output: 100 }, 'c1'),
          toolCallResult('weather', { city: 'Rome' }, { input: 20, output: 10 }, 'c2'),
          textResult('Sunny everywhere.', { input: 30, output: 10 }),
        ],
      })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      const result = await generateText({
        model,
        tools,
        prompt: 'Weather?',
        maxOutputTokens: 50,
        stopWhen: stepCountIs(5),
      })
      expect(result.text).toBe('Sunny everywhere.')
      expect(result.steps).toHaveLength(3)
      expect(settled.map((event) => event.usage.tokens)).toEqual([800, 30, 40])
      expect(warningsShown(mock.doGenerateCalls)).toEqual([0, 1, 0])
      expect(await usedOf(budget, thread)).toBe(870)
      expect(await reservedOf(budget, thread)).toBe(0)
    })

    it('should charge every step of a streaming ToolLoopAgent and warn once', async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const settled = recordSettlements(budget)
      const mock = new MockLanguageModelV4({
        doStream: [
          streamResult(toolCallParts('c1', { input: 700, output: 100 })),
          streamResult(toolCallParts('c2', { input: 20, output: 10 })),
          streamResult(textParts(['Sunny', ' everywhere.'], { input: 30, output: 10 })),
        ],
      })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread }),
      })
      const agent = new ToolLoopAgent({
        model,
        tools,
        instructions: 'Be brief.',
        stopWhen: stepCountIs(5),
        maxOutputTokens: 50,
      })
      const result = await agent.stream({ prompt: 'Weather?' })
      expect(await result.text).toBe('Sunny everywhere.')
      expect(settled.map((event) => event.usage.tokens)).toEqual([800, 30, 40])
      expect(warningsShown(mock.doStreamCalls)).toEqual([0, 1, 0])
      // The agent's instructions stay first.
      expect(mock.doStreamCalls[1]!.prompt.slice(0, 2)).toMatchObject([
        { role: 'system', content: 'Be brief.' },
        { role: 'system', content: expect.stringContaining('[Budget warning]') },
      ])
      expect(await reservedOf(budget, thread)).toBe(0)
    })

    it("should end a generateText tool loop with the explanatory text with onExceeded: 'finish'", async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const mock = new MockLanguageModelV4({
        doGenerate: [
          toolCallResult('weather', { city: 'Paris' }, { input: 850, output: 100 }),
          textResult('never reached'),
        ],
      })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({ budget, context: thread, onExceeded: 'finish' }),
      })
      const result = await generateText({
        model,
        tools,
        prompt: 'Weather?',
        maxOutputTokens: 100,
        stopWhen: stepCountIs(10),
      })
      expect(mock.doGenerateCalls).toHaveLength(1)
      expect(result.steps).toHaveLength(2)
      expect(result.steps[0]!.toolResults).toHaveLength(1)
      expect(result.text).toMatch(/budget exceeded: thread "t-1" has 50 tokens of 1,000 tokens left/)
      expect(result.rawFinishReason).toBe(budgetExceededFinishReason)
      expect(await usedOf(budget, thread)).toBe(950)
      expect(await reservedOf(budget, thread)).toBe(0)
    })

    it("should end a ToolLoopAgent with the explanatory text with onExceeded: 'finish'", async () => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      const mock = new MockLanguageModelV4({
        doGenerate: async () => toolCallResult('weather', { city: 'Paris' }, { input: 300, output: 100 }),
      })
      const model = wrapLanguageModel({
        model: mock,
        middleware: budgetMiddleware({
          budget,
          context: thread,
          onExceeded: 'finish',
          exceededText: () => 'Budget spent: here is what I found so far.',
        }),
      })
      const agent = new ToolLoopAgent({ model, tools, stopWhen: stepCountIs(20), maxOutputTokens: 250 })
      const result = await agent.generate({ prompt: 'Weather everywhere?' })
      // 400 per step: the third step reserves more than the 200 left (250 output tokens alone).
      expect(mock.doGenerateCalls).toHaveLength(2)
      expect(result.text).toBe('Budget spent: here is what I found so far.')
      expect(result.finishReason).toBe('other')
      expect(await usedOf(budget, thread)).toBe(800)
    })
  })
})
