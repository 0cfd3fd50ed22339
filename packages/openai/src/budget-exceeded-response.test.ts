import { BudgetExceededError, createBudget } from '@tokenwarden/core'
import type OpenAI from 'openai'
import { zodResponseFormat, zodTextFormat } from 'openai/helpers/zod'
import { beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { budgetExceededId } from './budget-exceeded-response.ts'
import { useOpenAIFixture } from './test/openai-fixture.ts'
import { withBudget } from './with-budget.ts'

const messages = [{ role: 'user' as const, content: 'Write the whole report.' }]
const text = 'Out of budget for this thread.'

describe('budgetExceededResponse', () => {
  const fixture = useOpenAIFixture()
  let client: OpenAI
  beforeEach(() => {
    const spent = createBudget({ limits: [{ scope: 'thread', tokens: 10 }] })
    client = withBudget(fixture.raw, {
      budget: spent,
      context: { thread: 't-1' },
      onExceeded: 'finish',
      exceededText: (error) => (BudgetExceededError.isInstance(error) ? text : 'unexpected'),
    })
  })

  describe("onExceeded: 'finish'", () => {
    it('should answer chat calls with the text, JSON and stream, sending nothing', async () => {
      const completion = await client.chat.completions.create({ model: 'gpt-4o', messages })
      expect(completion).toMatchObject({ id: budgetExceededId, choices: [{ message: { content: text } }] })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      let streamed = ''
      for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? ''
      expect(streamed).toBe(text)
      const final = await client.chat.completions.stream({ model: 'gpt-4o', messages }).finalChatCompletion()
      expect(final.choices[0]!.message.content).toBe(text)
      expect(fixture.server.requests).toHaveLength(0)
    })

    it('should answer responses calls with the text, JSON and stream', async () => {
      const response = await client.responses.create({ model: 'gpt-4o', input: 'Hi' })
      expect(response.output_text).toBe(text)
      const stream = await client.responses.create({ model: 'gpt-4o', input: 'Hi', stream: true })
      let streamed = ''
      for await (const event of stream)
        if (event.type === 'response.output_text.delta') streamed += event.delta
      expect(streamed).toBe(text)
      const final = await client.responses.stream({ model: 'gpt-4o', input: 'Hi' }).finalResponse()
      expect(final.output_text).toBe(text)
      expect(fixture.server.requests).toHaveLength(0)
    })

    it('should answer structured-output calls with a refusal (nothing to parse)', async () => {
      const schema = z.object({ answer: z.string() })
      const chat = await client.chat.completions.parse({
        model: 'gpt-4o',
        messages,
        response_format: zodResponseFormat(schema, 'answer'),
      })
      expect(chat.choices[0]!.message).toMatchObject({ refusal: text, parsed: null })
      const response = await client.responses.parse({
        model: 'gpt-4o',
        input: 'Hi',
        text: { format: zodTextFormat(schema, 'answer') },
      })
      expect(response.output_parsed).toBeNull()
      expect(response.output[0]).toMatchObject({ content: [{ type: 'refusal', refusal: text }] })
    })

    it('should still reject embeddings', async () => {
      await expect(
        client.embeddings.create({ model: 'text-embedding-3-small', input: 'x'.repeat(400) }),
      ).rejects.toThrow(BudgetExceededError)
    })
  })
})
