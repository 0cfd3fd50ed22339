import { BudgetExceededError } from '@tokenwarden/core'
import { exceededAnswer, exceededResponse } from '@tokenwarden/core/adapter'
import { describe, expect, it } from 'vitest'

const refusal = new BudgetExceededError({
  scope: 'thread',
  scopeId: 't-1',
  limitName: 'thread',
  unit: 'tokens',
  limit: 100,
  used: 100,
  reserved: 0,
  requested: 10,
  remaining: 0,
  period: 'none',
  resetsAt: null,
})

describe('exceededAnswer', () => {
  it('should give the text of a refusal only under onExceeded: finish', () => {
    const exceededText = (error: BudgetExceededError) => `out of ${error.unit}`
    expect(exceededAnswer({ onExceeded: 'finish', exceededText }, refusal)).toBe('out of tokens')
    expect(exceededAnswer({ onExceeded: 'throw', exceededText }, refusal)).toBeUndefined()
    expect(exceededAnswer({ onExceeded: 'finish', exceededText }, new Error('down'))).toBeUndefined()
  })
})

describe('exceededResponse', () => {
  it('should make a JSON answer or the server-sent events of a stream', async () => {
    const json = exceededResponse({ json: { id: 'x' } })
    expect(json.headers.get('content-type')).toBe('application/json')
    expect(await json.json()).toEqual({ id: 'x' })
    const events = exceededResponse({ events: [{ event: 'ping', data: { n: 1 } }, { data: '[DONE]' }] })
    expect(events.headers.get('content-type')).toBe('text/event-stream')
    expect(await events.text()).toBe('event: ping\ndata: {"n":1}\n\ndata: [DONE]\n\n')
  })
})
