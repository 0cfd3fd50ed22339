import { createBudget } from '@tokenwarden/core'
import { estimateCallInput } from '@tokenwarden/core/adapter'
import { describe, expect, it } from 'vitest'
import { toCallInput } from './to-call-input.ts'

const estimator = createBudget({ limits: [] }).estimator
const tokens = (body: Parameters<typeof toCallInput>[0]) => estimateCallInput(toCallInput(body), estimator)

describe('toCallInput', () => {
  it('should count system (string or blocks), messages, tools and the output schema', () => {
    const base = tokens({ messages: [{ role: 'user', content: 'Hi' }] })
    expect(
      tokens({ system: 'Be brief and precise.', messages: [{ role: 'user', content: 'Hi' }] }),
    ).toBeGreaterThan(base)
    expect(
      tokens({
        system: [{ type: 'text', text: 'Be brief and precise.' }],
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    ).toBe(tokens({ system: 'Be brief and precise.', messages: [{ role: 'user', content: 'Hi' }] }))
    const tools = [{ name: 'search', description: 'Searches the web.', input_schema: { type: 'object' } }]
    expect(tokens({ messages: [{ role: 'user', content: 'Hi' }], tools })).toBeGreaterThan(base)
    const schema = { type: 'object', properties: { answer: { type: 'string' } } }
    expect(
      tokens({ messages: [{ role: 'user', content: 'Hi' }], output_config: { format: { schema } } }),
    ).toBeGreaterThan(base)
  })

  it('should count tool use as JSON, tool results by their content, thinking by its text', () => {
    const input = toCallInput({
      messages: [
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Let me look.', signature: 's' },
            { type: 'tool_use', id: 't1', name: 'search', input: { q: 'budgets' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'Found it.' }] },
          ],
        },
      ],
    })
    expect(input.messages).toEqual([
      [
        { type: 'text', text: 'Let me look.' },
        { type: 'json', value: { q: 'budgets' } },
      ],
      [{ type: 'text', text: 'Found it.' }],
    ])
  })

  it('should size images and documents from their base64 data', () => {
    const png = 'iVBORw0KGgo='
    const input = toCallInput({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' } },
            { type: 'image', source: { type: 'url', url: 'https://example.invalid/a.png' } },
          ],
        },
      ],
    })
    expect(input.messages[0]).toEqual([
      { type: 'image', data: png },
      { type: 'file', data: 'JVBERi0x' },
      { type: 'image', data: undefined },
    ])
  })
})
