import { Usage } from '@openai/agents'
import { describe, expect, it } from 'vitest'
import { reportedUsage, toCallInput } from './model-call-input.ts'

describe('toCallInput', () => {
  it('should count instructions, messages by their parts, other items as JSON, tools, handoffs and the chain', () => {
    const input = toCallInput({
      systemInstructions: 'Be terse.',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Look at this' },
            { type: 'input_image', image: 'x' },
          ],
        },
        { type: 'function_call', callId: 'c1', name: 'lookup', arguments: '{"q":"tides"}' },
      ],
      previousResponseId: 'resp_1',
      modelSettings: {},
      tools: [],
      handoffs: [],
      outputType: 'text',
      tracing: false,
    })
    expect(input.messages[0]).toBe('Be terse.')
    expect(input.messages[1]).toEqual([{ type: 'text', text: 'Look at this' }, { type: 'image' }])
    expect(input.messages[2]).toEqual([{ type: 'json', value: expect.objectContaining({ name: 'lookup' }) }])
    expect(input.conversation).toBe('resp_1')
    expect(input.responseSchema).toBeUndefined()
  })
})

describe('reportedUsage', () => {
  it("should map the SDK's usage, its per-request detail lists summed", () => {
    const usage = new Usage({
      inputTokens: 120,
      outputTokens: 30,
      inputTokensDetails: { cached_tokens: 100, cache_write_tokens: 4 },
      outputTokensDetails: { reasoning_tokens: 12 },
    })
    expect(reportedUsage(usage)).toEqual({
      inputTokens: 120,
      outputTokens: 30,
      cachedInputTokens: 100,
      cacheWriteInputTokens: 4,
      reasoningTokens: 12,
    })
  })

  it('should treat the all-zero usage the SDK makes of a missing report as no report', () => {
    expect(reportedUsage(new Usage({ requests: 1 }))).toBeUndefined()
    expect(reportedUsage(undefined)).toBeUndefined()
  })
})
