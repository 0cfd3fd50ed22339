import type { LanguageModelV4Prompt } from '@ai-sdk/provider'
import { describe, expect, it } from 'vitest'
import { injectSystemMessage } from './inject-system-message.ts'

const user = { role: 'user' as const, content: [{ type: 'text' as const, text: 'Hi' }] }

describe('injectSystemMessage', () => {
  it('should insert after the leading system messages and leave the input untouched', () => {
    const prompt: LanguageModelV4Prompt = [
      { role: 'system', content: 'one' },
      { role: 'system', content: 'two' },
      user,
      { role: 'system', content: 'late' },
    ]
    const injected = injectSystemMessage(prompt, 'notice')
    expect(injected.map((message) => (message.role === 'system' ? message.content : message.role))).toEqual([
      'one',
      'two',
      'notice',
      'user',
      'late',
    ])
    expect(prompt).toHaveLength(4)
  })

  it('should put the message first when there is no system message', () => {
    expect(injectSystemMessage([user], 'notice')[0]).toEqual({ role: 'system', content: 'notice' })
  })
})
