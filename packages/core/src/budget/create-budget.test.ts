import { describe, expect, it } from 'vitest'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import type { LimitConfig } from '../limits/limit-config.ts'
import type { BudgetOptions } from './budget.ts'
import { createBudget } from './create-budget.ts'

const limits: LimitConfig[] = [{ scope: 'thread', tokens: 1000 }]

function fieldOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    if (BudgetValidationError.isInstance(error)) return error.field
    throw error
  }
  return undefined
}

async function asyncFieldOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run()
  } catch (error) {
    if (BudgetValidationError.isInstance(error)) return error.field
    throw error
  }
  return undefined
}

describe('createBudget', () => {
  describe('options', () => {
    const cases: [string, unknown, string][] = [
      ['no options', undefined, 'options'],
      ['limits not an array', { limits: { scope: 'thread' } }, 'limits'],
      ['a limit that is not an object', { limits: [42] }, 'limits[0]'],
      ['an empty scope', { limits: [{ scope: '', tokens: 1 }] }, 'limits[0].scope'],
      ['a blank scope', { limits: [{ scope: '  ', tokens: 1 }] }, 'limits[0].scope'],
      ['an empty id', { limits: [{ scope: 'agent', id: '', tokens: 1 }] }, 'limits[0].id'],
      ['an id on the global scope', { limits: [{ scope: 'global', id: 'x', tokens: 1 }] }, 'limits[0].id'],
      ['a limit without any unit', { limits: [{ scope: 'thread' }] }, 'limits[0]'],
      ['negative tokens', { limits: [{ scope: 'thread', tokens: -1 }] }, 'limits[0].tokens'],
      ['NaN tokens', { limits: [{ scope: 'thread', tokens: Number.NaN }] }, 'limits[0].tokens'],
      ['infinite tokens', { limits: [{ scope: 'thread', tokens: Infinity }] }, 'limits[0].tokens'],
      ['fractional tokens', { limits: [{ scope: 'thread', tokens: 1.5 }] }, 'limits[0].tokens'],
      ['tokens as a string', { limits: [{ scope: 'thread', tokens: '100' }] }, 'limits[0].tokens'],
      ['negative USD', { limits: [{ scope: 'agent', costUsd: -0.01 }] }, 'limits[0].costUsd'],
      ['NaN requests', { limits: [{ scope: 'global', requests: Number.NaN }] }, 'limits[0].requests'],
      ['negative input tokens', { limits: [{ scope: 'user', inputTokens: -5 }] }, 'limits[0].inputTokens'],
      [
        'infinite output tokens',
        { limits: [{ scope: 'user', outputTokens: -Infinity }] },
        'limits[0].outputTokens',
      ],
      [
        'an unknown period',
        { limits: [{ scope: 'thread', tokens: 1, period: 'fortnight' }] },
        'limits[0].period',
      ],
      [
        'a period of the wrong type',
        { limits: [{ scope: 'thread', tokens: 1, period: 7 }] },
        'limits[0].period',
      ],
      [
        'a malformed rolling window',
        { limits: [{ scope: 'thread', tokens: 1, period: { rolling: '1 fortnight' } }] },
        'limits[0].period.rolling',
      ],
      [
        'a zero rolling window',
        { limits: [{ scope: 'thread', tokens: 1, period: { rolling: 0 } }] },
        'limits[0].period.rolling',
      ],
      [
        'zero buckets',
        { limits: [{ scope: 'thread', tokens: 1, period: { rolling: '1h', buckets: 0 } }] },
        'limits[0].period.buckets',
      ],
      ['an empty name', { limits: [{ scope: 'thread', tokens: 1, name: '' }] }, 'limits[0].name'],
      [
        'two limits with the same name',
        {
          limits: [
            { scope: 'thread', tokens: 1 },
            { scope: 'thread', tokens: 2 },
          ],
        },
        'limits[1].name',
      ],
      ['a threshold above 1', { limits, thresholds: [1.2] }, 'thresholds[0]'],
      ['a threshold of 0', { limits, thresholds: [0] }, 'thresholds[0]'],
      ['a negative threshold', { limits, thresholds: [-0.5] }, 'thresholds[0]'],
      ['a NaN threshold', { limits, thresholds: [Number.NaN] }, 'thresholds[0]'],
      [
        'a threshold object above 1',
        { limits, thresholds: [{ at: 2, severity: 'final' }] },
        'thresholds[0].at',
      ],
      [
        'an unknown severity',
        { limits, thresholds: [{ at: 0.5, severity: 'panic' }] },
        'thresholds[0].severity',
      ],
      [
        'a limit threshold outside 0..1',
        { limits: [{ scope: 'thread', tokens: 1, thresholds: [1.5] }] },
        'limits[0].thresholds[0]',
      ],
      ['thresholds not an array', { limits, thresholds: 0.5 }, 'thresholds'],
      ['an unknown mode', { limits, mode: 'strict' }, 'mode'],
      ['an unknown price policy', { limits, unknownPrice: 'free' }, 'unknownPrice'],
      ['an unknown time zone', { limits, timeZone: 'Mars/Olympus' }, 'timeZone'],
      ['an empty time zone', { limits, timeZone: '' }, 'timeZone'],
      ['weekStartsOn out of range', { limits, weekStartsOn: 7 }, 'weekStartsOn'],
      ['a zero lease', { limits, leaseMs: 0 }, 'leaseMs'],
      ['a NaN lease', { limits, leaseMs: Number.NaN }, 'leaseMs'],
      ['a negative default output', { limits, defaultMaxOutputTokens: -1 }, 'defaultMaxOutputTokens'],
      ['track not an array', { limits, track: 'agent' }, 'track'],
      ['an empty tracked scope', { limits, track: [''] }, 'track[0]'],
      ['a clock that is not a function', { limits, now: 5 }, 'now'],
      ['prices of the wrong type', { limits, prices: 'cheap' }, 'prices'],
      ['a price source without cost()', { limits, prices: { source: {} } }, 'prices.source'],
      [
        'a negative model price',
        { limits, prices: { models: { m: { inputPerMillion: -1, outputPerMillion: 1 } } } },
        'prices.models["m"].inputPerMillion',
      ],
    ]
    for (const [label, options, field] of cases) {
      it(`should reject ${label} naming ${field}`, () => {
        expect(fieldOf(() => createBudget(options as BudgetOptions))).toBe(field)
      })
    }

    it('should accept custom scopes, rolling windows and all units', () => {
      expect(() =>
        createBudget({
          scopes: ['tenant'],
          limits: [
            { scope: 'tenant', tokens: 10, period: { rolling: '90m', buckets: 9 } },
            {
              scope: 'agent',
              id: 'a',
              inputTokens: 1,
              outputTokens: 1,
              costUsd: 0.5,
              requests: 3,
              period: 'week',
            },
          ],
          prices: { models: {} },
        }),
      ).not.toThrow()
    })
  })

  describe('calls', () => {
    const budget = createBudget({
      limits: [{ scope: 'thread', tokens: 1000 }],
      prices: { models: { m: { inputPerMillion: 1, outputPerMillion: 2 } } },
    })
    const ctx = { thread: 't' }
    const reserveCases: [string, unknown, unknown, string][] = [
      ['a null context', null, { inputTokens: 1 }, 'context'],
      ['an empty context value', { thread: '' }, { inputTokens: 1 }, 'context.thread'],
      ['a numeric context value', { user: 7 }, { inputTokens: 1 }, 'context.user'],
      ['a missing request', ctx, undefined, 'request'],
      ['negative input tokens', ctx, { inputTokens: -1 }, 'request.inputTokens'],
      ['NaN input tokens', ctx, { inputTokens: Number.NaN }, 'request.inputTokens'],
      ['fractional input tokens', ctx, { inputTokens: 0.5 }, 'request.inputTokens'],
      [
        'infinite output tokens',
        ctx,
        { inputTokens: 1, maxOutputTokens: Infinity },
        'request.maxOutputTokens',
      ],
      ['an empty model', ctx, { inputTokens: 1, model: '' }, 'request.model'],
      ['a zero lease', ctx, { inputTokens: 1, leaseMs: 0 }, 'request.leaseMs'],
      [
        'a negative clamp minimum',
        ctx,
        { inputTokens: 1, clamp: { minOutputTokens: -3 } },
        'request.clamp.minOutputTokens',
      ],
    ]
    for (const [label, context, request, field] of reserveCases) {
      it(`should reject a reservation with ${label} naming ${field}`, async () => {
        expect(await asyncFieldOf(() => budget.reserve(context as never, request as never))).toBe(field)
      })
    }

    const usageCases: [string, unknown, string][] = [
      ['no usage', undefined, 'usage'],
      ['negative input tokens', { inputTokens: -1, outputTokens: 0 }, 'usage.inputTokens'],
      ['NaN output tokens', { inputTokens: 1, outputTokens: Number.NaN }, 'usage.outputTokens'],
      ['infinite output tokens', { inputTokens: 1, outputTokens: Infinity }, 'usage.outputTokens'],
      ['fractional input tokens', { inputTokens: 1.25, outputTokens: 0 }, 'usage.inputTokens'],
      [
        'more cached than input tokens',
        { inputTokens: 10, outputTokens: 0, cachedInputTokens: 11 },
        'usage.cachedInputTokens',
      ],
      [
        'more reasoning than output tokens',
        { inputTokens: 10, outputTokens: 5, reasoningTokens: 6 },
        'usage.reasoningTokens',
      ],
      [
        'negative reasoning tokens',
        { inputTokens: 1, outputTokens: 1, reasoningTokens: -1 },
        'usage.reasoningTokens',
      ],
      ['an empty model', { inputTokens: 1, outputTokens: 1, model: '' }, 'usage.model'],
    ]
    for (const [label, usage, field] of usageCases) {
      it(`should reject a record with ${label} naming ${field}`, async () => {
        expect(await asyncFieldOf(() => budget.record(ctx, usage as never))).toBe(field)
      })
    }

    it('should reject a settle with bad usage and keep the reservation open', async () => {
      const reservation = await budget.reserve(ctx, { model: 'm', inputTokens: 10, maxOutputTokens: 10 })
      expect(await asyncFieldOf(() => reservation.settle({ inputTokens: -1, outputTokens: 0 }))).toBe(
        'usage.inputTokens',
      )
      expect(reservation.state).toBe('open')
      await reservation.release()
      expect(reservation.state).toBe('released')
    })

    it('should name the field and the value in the message', () => {
      try {
        createBudget({ limits: [{ scope: 'thread', tokens: -3 }] })
        expect.unreachable()
      } catch (error) {
        expect(BudgetValidationError.isInstance(error)).toBe(true)
        const { field, value, message } = error as BudgetValidationError
        expect({ field, value }).toEqual({ field: 'limits[0].tokens', value: -3 })
        expect(message).toContain('limits[0].tokens')
      }
    })
  })
})
