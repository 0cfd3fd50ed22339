import { BudgetValidationError } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { resolveCallContext } from './resolve-call-context.ts'

const prompt = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Hi' }] }]

describe('resolveCallContext', () => {
  it('should let the per-call providerOptions override the static context', async () => {
    const context = await resolveCallContext(
      { agent: 'a', thread: 'static' },
      { prompt, providerOptions: { tokenwarden: { thread: 't-2', user: 'u-1' } } },
    )
    expect(context).toEqual({ agent: 'a', thread: 't-2', user: 'u-1' })
  })

  it('should call a context function with the params and await it', async () => {
    const context = await resolveCallContext(async (params) => ({ task: `n${params.prompt.length}` }), {
      prompt,
    })
    expect(context).toEqual({ task: 'n1' })
  })

  it('should return an empty context when nothing is given', async () => {
    expect(await resolveCallContext(undefined, { prompt })).toEqual({})
  })

  it('should name the field of a bad scope value', async () => {
    const bad = [
      [{ thread: '' }, 'context.thread'],
      [() => ({ thread: 1 }), 'context.thread'],
      [() => 'thread-1', 'context'],
    ] as const
    for (const [context, field] of bad) {
      const error = await resolveCallContext(context as never, { prompt }).catch((e: unknown) => e)
      expect(BudgetValidationError.isInstance(error)).toBe(true)
      expect((error as BudgetValidationError).field).toBe(field)
    }
    const perCall = await resolveCallContext(
      {},
      { prompt, providerOptions: { tokenwarden: [] as never } },
    ).catch((e: unknown) => e)
    expect(perCall).toMatchObject({ field: 'providerOptions.tokenwarden' })
  })
})
