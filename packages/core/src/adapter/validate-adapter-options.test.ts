import { type BudgetExceededError, BudgetValidationError, createBudget } from '@tokenwarden/core'
import { mergeCallContext, validateAdapterOptions } from '@tokenwarden/core/adapter'
import { describe, expect, it } from 'vitest'

const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })

function fieldOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    if (BudgetValidationError.isInstance(error)) return error.field
    throw error
  }
  return undefined
}

describe('validateAdapterOptions', () => {
  it('should return the options with the shared defaults filled in', () => {
    const { exceededText, ...resolved } = validateAdapterOptions({ budget })
    expect(resolved).toEqual({
      budget,
      context: {},
      modelId: undefined,
      defaultMaxOutputTokens: undefined,
      clamp: false,
      injectWarnings: true,
      injectStatus: false,
      onExceeded: 'throw',
      stopStreamsAtReservation: false,
      stallMs: undefined,
      callOptions: {
        defaultMaxOutputTokens: undefined,
        clamp: false,
        warnings: true,
        status: false,
        stallMs: undefined,
        stopAtReservation: false,
      },
    })
    expect(exceededText({ message: 'no room' } as BudgetExceededError)).toBe('no room')
    const text = () => 'over'
    const given = {
      budget,
      context: { agent: 'a' },
      clamp: true,
      onExceeded: 'finish',
      exceededText: text,
    } as const
    expect(validateAdapterOptions({ ...given, injectWarnings: false, stallMs: 5 })).toMatchObject({
      ...given,
      injectWarnings: false,
      stallMs: 5,
    })
  })

  it('should accept the shared vocabulary and name the first bad option', () => {
    expect(
      fieldOf(() => validateAdapterOptions({ budget, clamp: { minOutputTokens: 10 }, stallMs: 5 })),
    ).toBeUndefined()
    expect(fieldOf(() => validateAdapterOptions({ budget: {} }))).toBe('budget')
    expect(fieldOf(() => validateAdapterOptions({ budget, context: 'u-1' }))).toBe('context')
    expect(fieldOf(() => validateAdapterOptions({ budget, context: () => ({}) }))).toBe('context')
    expect(
      fieldOf(() => validateAdapterOptions({ budget, context: () => ({}) }, { contextFunction: true })),
    ).toBeUndefined()
    expect(fieldOf(() => validateAdapterOptions({ budget, modelId: '' }))).toBe('modelId')
    expect(fieldOf(() => validateAdapterOptions({ budget, defaultMaxOutputTokens: 1.5 }))).toBe(
      'defaultMaxOutputTokens',
    )
    expect(fieldOf(() => validateAdapterOptions({ budget, stallMs: 0 }))).toBe('stallMs')
    expect(fieldOf(() => validateAdapterOptions({ budget, clamp: 'yes' }))).toBe('clamp')
    expect(fieldOf(() => validateAdapterOptions({ budget, clamp: { minOutputTokens: 0 } }))).toBe(
      'clamp.minOutputTokens',
    )
    expect(fieldOf(() => validateAdapterOptions({ budget, injectStatus: 'on' }))).toBe('injectStatus')
    expect(fieldOf(() => validateAdapterOptions({ budget, onExceeded: 'end' }))).toBe('onExceeded')
    expect(fieldOf(() => validateAdapterOptions({ budget, exceededText: 'sorry' }))).toBe('exceededText')
  })
})

describe('mergeCallContext', () => {
  it('should return the base itself when the call adds nothing, else a merged copy', () => {
    const base = { agent: 'a', thread: 'static' }
    expect(mergeCallContext(base, undefined, 'f')).toBe(base)
    expect(mergeCallContext(base, { thread: 't-1', user: undefined }, 'f')).toEqual({
      agent: 'a',
      thread: 't-1',
    })
    expect(base).toEqual({ agent: 'a', thread: 'static' })
  })

  it('should name the field of a bad per-call context', () => {
    expect(fieldOf(() => mergeCallContext({}, 'u-1', 'metadata.tokenwarden'))).toBe('metadata.tokenwarden')
    expect(fieldOf(() => mergeCallContext({}, { user: 42 }, 'metadata.tokenwarden'))).toBe(
      'metadata.tokenwarden.user',
    )
  })
})
