import { describe, expect, it } from 'vitest'
import { applyMessageEdits } from './apply-message-edits.ts'
import type { MessageEdit } from './compress-call-input.ts'

type Message = { role: string; content: string }

const messages: Message[] = [
  { role: 'user', content: 'a' },
  { role: 'assistant', content: 'b' },
  { role: 'tool', content: 'c' },
]
const truncate = (message: Message, [text]: readonly string[]) =>
  message.role === 'tool' ? { ...message, content: text ?? '' } : undefined

describe('applyMessageEdits', () => {
  it('should keep, drop and truncate by the edit at each index', () => {
    const edits: MessageEdit[] = [
      { type: 'keep' },
      { type: 'drop' },
      { type: 'truncate', toolResults: ['c…'] },
    ]
    expect(applyMessageEdits(messages, edits, truncate)).toEqual([
      { role: 'user', content: 'a' },
      { role: 'tool', content: 'c…' },
    ])
    expect(messages[2]).toEqual({ role: 'tool', content: 'c' })
  })

  it('should leave out a truncated message the callback returns undefined for', () => {
    const edits: MessageEdit[] = [{ type: 'truncate', toolResults: [] }, { type: 'keep' }, { type: 'keep' }]
    expect(applyMessageEdits(messages, edits, truncate)).toEqual(messages.slice(1))
  })

  it('should read the edits from offset and keep messages without an edit', () => {
    const edits: MessageEdit[] = [{ type: 'drop' }, { type: 'drop' }]
    expect(applyMessageEdits(messages, edits, truncate, 1)).toEqual(messages.slice(1))
  })
})
