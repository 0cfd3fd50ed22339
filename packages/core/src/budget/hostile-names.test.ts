import { describe, expect, it } from 'vitest'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { MissingScopeError } from '../errors/missing-scope-error.ts'
import type { BudgetOptions } from './budget.ts'
import { createBudget } from './create-budget.ts'

const request = { model: 'gpt-4o', inputTokens: 10, maxOutputTokens: 10 }
const usage = { inputTokens: 10, outputTokens: 10 }

async function fieldOf(run: () => unknown): Promise<string | undefined> {
  try {
    await run()
  } catch (error) {
    if (BudgetValidationError.isInstance(error)) return error.field
    throw error
  }
  return undefined
}

describe('ids', () => {
  it.each([
    ['a lone high surrogate', '\uD800'],
    ['another lone high surrogate', '\uDBFF'],
    ['a lone low surrogate', 'a\uDC00'],
    ['a NUL', 'a\u0000b'],
    ['a unit separator', 'a\u001fb'],
    ['a DEL', '\u007f'],
  ])(
    'should refuse %s in a context value, a limit id, a limit name, a scope name and a model',
    async (_, id) => {
      const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
      expect(await fieldOf(() => budget.reserve({ thread: id }, request))).toBe('context.thread')
      expect(await fieldOf(() => budget.record({ thread: id }, usage))).toBe('context.thread')
      expect(await fieldOf(() => budget.reserve({ thread: 't' }, { ...request, model: id }))).toBe(
        'request.model',
      )
      expect(await fieldOf(() => budget.status({ thread: 't' }, { model: id }))).toBe('options.model')
      expect(await fieldOf(() => budget.takeWarnings({ thread: 't' }, { model: id }))).toBe('options.model')
      expect(await fieldOf(() => budget.record({ thread: 't' }, { ...usage, model: id }))).toBe('usage.model')
      expect(await fieldOf(() => createBudget({ limits: [{ scope: 'agent', id, tokens: 1 }] }))).toBe(
        'limits[0].id',
      )
      expect(await fieldOf(() => createBudget({ limits: [{ scope: 'agent', name: id, tokens: 1 }] }))).toBe(
        'limits[0].name',
      )
      expect(await fieldOf(() => createBudget({ scopes: [id], limits: [] }))).toBe('scopes[0]')
    },
  )

  it('should give U+FFFD and well-formed astral ids counters of their own', async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 20 }], track: [] })
    for (const thread of ['\uFFFD', '\uD83D\uDE00', '\uD83D\uDE01']) {
      await budget.record({ thread }, usage)
      expect((await budget.status({ thread }))[0]!.used).toBe(20)
    }
  })

  it("should not let control characters merge two conversations' warning state", async () => {
    const budget = createBudget({ limits: [{ scope: 'global', tokens: 100 }] })
    await budget.record({ agent: 'x', user: 'y' }, { inputTokens: 80, outputTokens: 0 })
    expect(budget.takeWarnings({ agent: 'x', user: 'y' })).toHaveLength(1)
    // joined as `agent\0x\1user\0y\1`, this context used to be the same conversation
    expect(await fieldOf(() => budget.takeWarnings({ agent: 'x\u0001user\u0000y' }))).toBe('context.agent')
    expect(budget.takeWarnings({ agent: 'x' })).toHaveLength(1)
  })
})

describe('names shared with Object.prototype', () => {
  it('should apply a scope named constructor only to contexts that have it', async () => {
    const skip = createBudget({
      scopes: ['constructor'],
      limits: [{ scope: 'constructor', tokens: 15, onMissingScope: 'skip' }],
    })
    await expect(skip.reserve({}, request)).resolves.toBeDefined()
    await expect(skip.reserve({ constructor: 'c' }, request)).rejects.toSatisfy(
      BudgetExceededError.isInstance,
    )

    const refuse = createBudget({ scopes: ['constructor'], limits: [{ scope: 'constructor', tokens: 15 }] })
    await expect(refuse.reserve({}, request)).rejects.toSatisfy(MissingScopeError.isInstance)
    // a context that inherits a `constructor` string does not have one
    const inherited = Object.create({ constructor: 'c' }) as Record<string, string>
    await expect(refuse.reserve(inherited, request)).rejects.toSatisfy(MissingScopeError.isInstance)
  })

  it('should give threads named __proto__, constructor and toString counters of their own', async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 30 }] })
    for (const thread of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      await budget.record({ thread }, usage)
      expect((await budget.status({ thread }))[0]).toMatchObject({ scopeId: thread, used: 20 })
    }
  })

  it('should report top spenders of a scope named __proto__ as an own entry', async () => {
    const budget = createBudget({
      scopes: ['__proto__', 'toString'],
      limits: [],
      track: ['__proto__', 'toString'],
    })
    const context = JSON.parse('{"__proto__": "p-1", "toString": "t-1"}') as Record<string, string>
    await budget.record(context, usage)
    const report = await budget.report()
    expect(Object.hasOwn(report.top, '__proto__')).toBe(true)
    expect(Object.getPrototypeOf(report.top)).toBe(Object.prototype)
    expect(Object.entries(report.top).map(([scope, spenders]) => [scope, spenders[0]!.id])).toEqual([
      ['__proto__', 'p-1'],
      ['toString', 't-1'],
    ])
  })

  it('should price a model named toString from its override, and not price constructor at all', async () => {
    const prices = { models: { toString: { inputPerMillion: 1_000_000, outputPerMillion: 0 } } }
    const budget = createBudget({ limits: [{ scope: 'model', costUsd: 100 }], prices } as BudgetOptions)
    const { costUsd } = await budget.record({}, { model: 'toString', inputTokens: 20, outputTokens: 0 })
    expect(costUsd).toBe(20)
    await expect(budget.reserve({}, { model: 'toString', inputTokens: 90 })).rejects.toSatisfy(
      BudgetExceededError.isInstance,
    )
    await expect(budget.reserve({}, { model: 'constructor', inputTokens: 1 })).rejects.toMatchObject({
      code: 'unknown_price',
    })
    expect(budget.cost('hasOwnProperty', usage)).toBeUndefined()
  })
})
