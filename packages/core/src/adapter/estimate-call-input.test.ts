import { heuristicEstimator } from '@tokenwarden/core'
import { estimateCallInput } from '@tokenwarden/core/adapter'
import { describe, expect, it } from 'vitest'

describe('estimateCallInput', () => {
  it('should count a tool call with its name and a tool result by name and text', () => {
    const input = {
      messages: [
        {
          role: 'assistant',
          content: [{ type: 'tool-call', name: 'search', text: `{"q":"${'q'.repeat(32)}"}` }],
        },
        { role: 'tool', content: [{ type: 'tool-result', name: 'search', text: 'r'.repeat(400) }] },
      ],
    }
    // 'search' + 40 characters of arguments = 46 → 12; the result: 'search' → 2, 400 → 100.
    expect(estimateCallInput(input, heuristicEstimator)).toBe(4 + 12 + 4 + 2 + 100)
  })
})
