import type { LanguageModelV4StreamPart } from '@ai-sdk/provider'
import { createBudget, heuristicEstimator, type TokenUsage } from '@tokenwarden/core'
import { startBudgetCall } from '@tokenwarden/core/adapter'
import { describe, expect, it, vi } from 'vitest'
import { meterStream } from './meter-stream.ts'
import { streamResult, textParts } from './test/model-results.ts'

async function drain(stream: ReadableStream<LanguageModelV4StreamPart>) {
  const parts: LanguageModelV4StreamPart[] = []
  for await (const part of stream) parts.push(part)
  return parts
}

/** A call with no input (its estimate is 0) whose settles are recorded, or fail with `settleError`. */
async function meteredCall(settled: TokenUsage[], settleError?: Error) {
  const budget = createBudget({
    limits: [{ scope: 'thread', tokens: 1_000_000 }],
    estimator: heuristicEstimator,
  })
  const call = await startBudgetCall(budget, {
    context: { thread: 't' },
    input: { messages: [] },
    maxOutputTokens: 100,
  })
  const settle = call.reservation.settle.bind(call.reservation)
  vi.spyOn(call.reservation, 'settle').mockImplementation(async (usage) => {
    if (settleError !== undefined) throw settleError
    settled.push(usage)
    return settle(usage)
  })
  return call
}

const options = { abortSignal: undefined }

describe('meterStream', () => {
  describe('settle', () => {
    it('should settle once, before the finish part reaches the reader, even if the caller aborts later', async () => {
      const settled: TokenUsage[] = []
      const controller = new AbortController()
      const call = await meteredCall(settled)
      const { stream } = meterStream(streamResult(textParts(['hi'], { input: 5, output: 2 })).stream, call, {
        ...options,
        abortSignal: controller.signal,
      })
      const reader = stream.getReader()
      let part = await reader.read()
      while (part.value?.type !== 'finish') part = await reader.read()
      expect(settled).toEqual([{ inputTokens: 5, outputTokens: 2, estimated: false }])
      controller.abort()
      await reader.cancel()
      expect(settled).toHaveLength(1)
    })

    it('should settle immediately when the signal is already aborted', async () => {
      const settled: TokenUsage[] = []
      const controller = new AbortController()
      controller.abort()
      const call = await meteredCall(settled)
      meterStream(streamResult([]).stream, call, { ...options, abortSignal: controller.signal })
      await vi.waitFor(() => expect(settled).toEqual([{ inputTokens: 0, outputTokens: 0, estimated: true }]))
    })

    it('should error the stream when settling fails', async () => {
      const call = await meteredCall([], new Error('store down'))
      const { stream } = meterStream(streamResult(textParts(['hi'])).stream, call, options)
      await expect(drain(stream)).rejects.toThrow('store down')
    })

    it('should count tool inputs once, whether streamed as deltas or only as a tool call', async () => {
      const settled: TokenUsage[] = []
      const input = JSON.stringify({ query: 'x'.repeat(70) }) // 82 characters
      const parts: LanguageModelV4StreamPart[] = [
        { type: 'tool-input-start', id: 'a', toolName: 'search' },
        { type: 'tool-input-delta', id: 'a', delta: input },
        { type: 'tool-input-end', id: 'a' },
        { type: 'tool-call', toolCallId: 'a', toolName: 'search', input },
        { type: 'tool-call', toolCallId: 'b', toolName: 'search', input },
      ]
      const call = await meteredCall(settled)
      await drain(meterStream(streamResult(parts).stream, call, options).stream)
      expect(settled).toEqual([
        { inputTokens: 0, outputTokens: Math.ceil((82 + 6 + 82) / 4), estimated: true },
      ])
    })
  })
})
