import type { Tally } from '@tokenwarden/core'
import type OpenAI from 'openai'
import { Stream } from 'openai/streaming'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useOpenAIFixture } from './test/openai-fixture.ts'
import { type WithBudgetOptions, withBudget } from './with-budget.ts'

const messages = [{ role: 'user' as const, content: 'Count to ten.' }]
const usage = { inputTokens: 30, outputTokens: 10, cachedTokens: 4, reasoningTokens: 2 }

describe('meterStream', () => {
  const fixture = useOpenAIFixture()
  let settled: (Tally & { estimated: boolean })[]
  let client: OpenAI
  const budgeted = (options: Partial<WithBudgetOptions> = {}) =>
    withBudget(fixture.raw, { budget: fixture.budget, context: { thread: 't-1' }, ...options })
  beforeEach(() => {
    settled = []
    fixture.budget.on('settled', (event) => settled.push({ ...event.usage, estimated: event.estimated }))
    client = budgeted()
  })

  async function reserved() {
    return (await fixture.budget.status({ thread: 't-1' }))[0]!.reserved
  }

  describe('usage chunk', () => {
    it('should hide the usage-only chunk from a caller who did not ask for it', async () => {
      fixture.server.enqueue({ text: 'one two', usage })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      const chunks = []
      for await (const chunk of stream) chunks.push(chunk)
      expect(chunks.every((chunk) => chunk.choices.length > 0)).toBe(true)
      expect(chunks.some((chunk) => chunk.usage)).toBe(false)
      expect(settled).toMatchObject([{ inputTokens: 30, outputTokens: 10, estimated: false }])
    })

    it('should keep the usage chunk for a caller who asked for it', async () => {
      fixture.server.enqueue({ text: 'one two', usage })
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        messages,
        stream: true,
        stream_options: { include_usage: true },
      })
      const chunks = []
      for await (const chunk of stream) chunks.push(chunk)
      expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 30 } })
      expect(settled).toHaveLength(1)
    })

    it('should keep the stream an instance of Stream with its controller and tee()', async () => {
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      expect(stream).toBeInstanceOf(Stream)
      expect(stream.controller).toBeInstanceOf(AbortController)
      const [left, right] = stream.tee()
      for await (const _ of left);
      for await (const _ of right);
      expect(settled).toHaveLength(1)
      expect(await reserved()).toBe(0)
    })
  })

  describe('break and abort', () => {
    it('should settle a chat stream the caller leaves from what arrived, marked estimated', async () => {
      fixture.server.enqueue({ text: 'a b c d e f g h', usage, delayMs: 20 })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) break
      expect(settled).toHaveLength(1)
      expect(settled[0]).toMatchObject({ estimated: true, estimatedRequests: 1, requests: 1 })
      expect(settled[0]!.outputTokens).toBeLessThan(8)
      expect(await reserved()).toBe(0)
    })

    it('should settle a responses stream the caller leaves', async () => {
      fixture.server.enqueue({ text: 'a b c d e f g h', usage, delayMs: 20 })
      const stream = await client.responses.create({ model: 'gpt-4o', input: 'Hi', stream: true })
      for await (const event of stream) if (event.type === 'response.output_text.delta') break
      expect(settled).toMatchObject([{ estimated: true }])
      expect(await reserved()).toBe(0)
    })

    it('should settle a stream aborted through its controller before any read', async () => {
      fixture.server.enqueue({ text: 'a b c d e f g h', usage, delayMs: 20 })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      stream.controller.abort()
      await vi.waitFor(() => expect(settled).toMatchObject([{ estimated: true }]))
      expect(await reserved()).toBe(0)
    })
  })

  describe('stallMs', () => {
    it('should settle a stream nobody reads any more after stallMs and abort it', async () => {
      client = budgeted({ stallMs: 40 })
      fixture.server.enqueue({ text: 'a b c d e f g h i j k l', usage, delayMs: 30 })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      await stream[Symbol.asyncIterator]().next() // one chunk, then the reader walks away
      await vi.waitFor(() => expect(settled).toMatchObject([{ estimated: true, estimatedRequests: 1 }]))
      expect(stream.controller.signal.aborted).toBe(true)
      expect(await reserved()).toBe(0)
    })

    it('should keep a stream that is read, however long it takes', async () => {
      client = budgeted({ stallMs: 40 })
      fixture.server.enqueue({ text: 'a b c d e f', usage, delayMs: 30 })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      for await (const _ of stream);
      expect(settled).toMatchObject([{ inputTokens: 30, outputTokens: 10, estimated: false }])
    })
  })

  describe('stopStreamsAtReservation', () => {
    it('should end a stream once its output passes the reservation', async () => {
      client = budgeted({ stopStreamsAtReservation: true })
      const words = Array.from({ length: 60 }, (_, index) => `word${index}`).join(' ')
      fixture.server.enqueue({ text: words, usage, delayMs: 1 })
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        messages,
        stream: true,
        max_tokens: 5,
      })
      let text = ''
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
      expect(text.length).toBeLessThan(words.length)
      expect(settled).toMatchObject([{ estimated: true }])
      expect(await reserved()).toBe(0)
    })

    it('should give the caller the chunk that passed the reservation (its output is charged)', async () => {
      client = budgeted({ stopStreamsAtReservation: true })
      const words = Array.from({ length: 60 }, (_, index) => `word${index}`).join(' ')
      fixture.server.enqueue({ text: words, usage, delayMs: 1 })
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        messages,
        stream: true,
        max_tokens: 5,
      })
      let text = ''
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
      expect(settled).toMatchObject([{ estimated: true, outputTokens: fixture.budget.estimator.count(text) }])
    })
  })

  describe('cut', () => {
    it('should settle a chat stream the server cuts from the deltas received', async () => {
      // delayMs lets the sent events reach the client before the cut.
      fixture.server.enqueue({ text: 'alpha beta gamma delta', cutAfterChunks: 2, usage, delayMs: 5 })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      let text = ''
      await expect(
        (async () => {
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
        })(),
      ).rejects.toThrow()
      expect(text).toBe('alpha beta ')
      expect(settled).toMatchObject([
        { estimated: true, outputTokens: fixture.budget.estimator.count('alpha beta ') },
      ])
      expect(await reserved()).toBe(0)
    })

    it('should settle a finished stream without usage from its text, marked estimated', async () => {
      fixture.server.enqueue({ text: 'one two three', omitUsage: true })
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
      for await (const _ of stream);
      expect(settled).toMatchObject([
        { estimated: true, outputTokens: fixture.budget.estimator.count('one two three') },
      ])
    })
  })
})
