import type { LanguageModelV4StreamPart } from '@ai-sdk/provider'
import { heuristicEstimator, type TokenUsage } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { meterStream } from './meter-stream.ts'
import { streamResult, textParts } from './test/model-results.ts'

async function drain(stream: ReadableStream<LanguageModelV4StreamPart>) {
  const parts: LanguageModelV4StreamPart[] = []
  for await (const part of stream) parts.push(part)
  return parts
}

describe('meterStream', () => {
  describe('settle', () => {
    it('should settle once, before the finish part reaches the reader, even if the caller aborts later', async () => {
      const settled: TokenUsage[] = []
      const controller = new AbortController()
      const stream = meterStream(streamResult(textParts(['hi'], { input: 5, output: 2 })).stream, {
        estimator: heuristicEstimator,
        inputTokens: 99,
        abortSignal: controller.signal,
        settle: async (usage) => settled.push(usage),
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
      meterStream(streamResult([]).stream, {
        estimator: heuristicEstimator,
        inputTokens: 7,
        abortSignal: controller.signal,
        settle: async (usage) => settled.push(usage),
      })
      expect(settled).toEqual([{ inputTokens: 7, outputTokens: 0, estimated: true }])
    })

    it('should error the stream when settling fails', async () => {
      const stream = meterStream(streamResult(textParts(['hi'])).stream, {
        estimator: heuristicEstimator,
        inputTokens: 1,
        settle: async () => {
          throw new Error('store down')
        },
      })
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
      await drain(
        meterStream(streamResult(parts).stream, {
          estimator: heuristicEstimator,
          inputTokens: 0,
          settle: async (usage) => settled.push(usage),
        }),
      )
      expect(settled).toEqual([
        { inputTokens: 0, outputTokens: Math.ceil((82 + 6 + 82) / 4), estimated: true },
      ])
    })
  })
})
