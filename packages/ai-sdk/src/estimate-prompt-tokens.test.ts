import type { LanguageModelV4Prompt } from '@ai-sdk/provider'
import { heuristicEstimator } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { estimatePromptTokens } from './estimate-prompt-tokens.ts'

const text = (value: string) => ({ type: 'text' as const, text: value })

describe('estimatePromptTokens', () => {
  it('should count every message with its overhead', () => {
    const prompt: LanguageModelV4Prompt = [
      { role: 'system', content: 'a'.repeat(40) },
      { role: 'user', content: [text('b'.repeat(80))] },
    ]
    expect(estimatePromptTokens({ prompt }, heuristicEstimator)).toBe(4 + 10 + 4 + 20)
  })

  it('should count tool calls, tool results, files and tool definitions', () => {
    const prompt: LanguageModelV4Prompt = [
      {
        role: 'user',
        content: [
          { type: 'file', data: { type: 'data', data: 'x'.repeat(100_000) }, mediaType: 'image/png' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'tool-call', toolCallId: 'c', toolName: 'search', input: { query: 'q'.repeat(34) } },
        ],
      },
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'c',
            toolName: 'search',
            output: { type: 'text', value: 'r'.repeat(400) },
          },
        ],
      },
    ]
    const withoutTools = estimatePromptTokens({ prompt }, heuristicEstimator)
    // A file counts a flat 1,024 tokens, not its base64 size.
    expect(withoutTools).toBe(3 * 4 + 1024 + 13 + 2 + 100)
    const withTools = estimatePromptTokens(
      {
        prompt,
        tools: [
          { type: 'function', name: 'search', description: 'd'.repeat(38), inputSchema: { type: 'object' } },
        ],
      },
      heuristicEstimator,
    )
    expect(withTools - withoutTools).toBeGreaterThan(10)
  })

  it('should count the text of an inline text file', () => {
    const prompt: LanguageModelV4Prompt = [
      {
        role: 'user',
        content: [{ type: 'file', data: { type: 'text', text: 'z'.repeat(40) }, mediaType: 'text/plain' }],
      },
    ]
    expect(estimatePromptTokens({ prompt }, heuristicEstimator)).toBe(4 + 10)
  })
})
