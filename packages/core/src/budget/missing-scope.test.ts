import { describe, expect, it } from 'vitest'
import { BudgetExceededError } from '../errors/budget-exceeded-error.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { MissingScopeError } from '../errors/missing-scope-error.ts'
import type { BudgetOptions } from './budget.ts'
import { createBudget } from './create-budget.ts'

const request = { model: 'gpt-4o', inputTokens: 10, maxOutputTokens: 10 }
const usage = { inputTokens: 10, outputTokens: 10 }

function validationError(run: () => unknown): BudgetValidationError {
  try {
    run()
  } catch (error) {
    if (BudgetValidationError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected BudgetValidationError')
}

async function rejection(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run()
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('scopes', () => {
  it('should refuse a limit on an undeclared scope, with a hint for a typo', () => {
    const error = validationError(() => createBudget({ limits: [{ scope: 'threads', tokens: 50 }] }))
    expect(error.field).toBe('limits[0].scope')
    expect(error.message).toContain('did you mean "thread"?')
    expect(validationError(() => createBudget({ limits: [{ scope: 'tenant', tokens: 50 }] })).field).toBe(
      'limits[0].scope',
    )
  })

  it('should accept and enforce a declared custom scope', async () => {
    const budget = createBudget({ scopes: ['tenant'], limits: [{ scope: 'tenant', tokens: 30 }] })
    await budget.record({ tenant: 'acme' }, usage)
    await expect(budget.reserve({ tenant: 'acme' }, request)).rejects.toSatisfy(
      BudgetExceededError.isInstance,
    )
    await expect(budget.reserve({ tenant: 'globex' }, request)).resolves.toBeDefined()
  })

  it.each<[string, unknown, string]>([
    ['not an array', 'tenant', 'scopes'],
    ['an empty name', [''], 'scopes[0]'],
    ['a built-in scope', ['thread'], 'scopes[0]'],
    ['a duplicate', ['tenant', 'tenant'], 'scopes[1]'],
    ['a control character', ['ten\u0000ant'], 'scopes[0]'],
  ])('should refuse scopes with %s', (_, scopes, field) => {
    expect(
      validationError(() => createBudget({ scopes, limits: [] } as unknown as BudgetOptions)).field,
    ).toBe(field)
  })

  it('should refuse a tracked scope the budget does not know', () => {
    const error = validationError(() => createBudget({ limits: [], track: ['agents'] }))
    expect(error.field).toBe('track[0]')
    expect(error.message).toContain('did you mean "agent"?')
    expect(() => createBudget({ scopes: ['tenant'], limits: [], track: ['tenant'] })).not.toThrow()
  })

  it('should refuse a context key that is no scope, in every operation', async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 50 }] })
    const typo = { thread: 't-1', thred: 't-1' }
    for (const run of [
      () => budget.reserve(typo, request),
      () => budget.record(typo, usage),
      () => budget.status(typo),
      () => budget.affordableOutputTokens(typo, { inputTokens: 10 }),
      async () => budget.takeWarnings(typo),
      async () => budget.restoreWarnings(typo, []),
    ]) {
      const error = await rejection(run)
      expect(BudgetValidationError.isInstance(error) && error.field).toBe('context.thred')
      expect((error as Error).message).toContain('did you mean "thread"?')
    }
    expect(validationError(() => budget.takeWarnings({ global: 'x' })).field).toBe('context.global')
  })
})

describe('a context without the id of a limited scope', () => {
  it('should be refused with MissingScopeError that says how to pass the id, reserving nothing', async () => {
    const budget = createBudget({
      limits: [
        { scope: 'thread', tokens: 50 },
        { scope: 'global', tokens: 1000 },
      ],
    })
    const error = await rejection(() => budget.reserve({ agent: 'researcher' }, request))
    expect(MissingScopeError.isInstance(error)).toBe(true)
    const missing = error as MissingScopeError
    expect(missing).toMatchObject({ code: 'missing_scope', scope: 'thread', limitName: 'thread/none' })
    for (const hint of [
      'providerOptions: { tokenwarden: { thread } }',
      'client.withContext({ thread })',
      'configurable: { thread_id }',
      "onMissingScope: 'skip'",
    ]) {
      expect(missing.message).toContain(hint)
    }
    expect(await budget.status({})).toMatchObject([{ scope: 'global', used: 0, reserved: 0 }])
  })

  it('should be refused by record and affordableOutputTokens too, counting nothing', async () => {
    const budget = createBudget({
      limits: [
        { scope: 'user', tokens: 50 },
        { scope: 'global', tokens: 1000 },
      ],
    })
    await expect(budget.record({ agent: 'a' }, usage)).rejects.toSatisfy(MissingScopeError.isInstance)
    await expect(budget.affordableOutputTokens({}, { inputTokens: 1 })).rejects.toSatisfy(
      MissingScopeError.isInstance,
    )
    await expect(budget.child({ agent: 'a' }, { tokens: 10 })).rejects.toSatisfy(MissingScopeError.isInstance)
    expect((await budget.status({}))[0]!.used).toBe(0)
  })

  it('should get the limits that apply from status and takeWarnings, without throwing', async () => {
    const budget = createBudget({
      limits: [
        { scope: 'thread', tokens: 50 },
        { scope: 'global', tokens: 100 },
      ],
    })
    await budget.record({ thread: 't-1' }, { inputTokens: 80, outputTokens: 0 })
    expect((await budget.status({})).map((status) => [status.limitName, status.used])).toEqual([
      ['global/none', 80],
    ])
    expect(budget.takeWarnings({}).map((warning) => warning.limitName)).toEqual(['global/none'])
  })

  it("should pass a limit with onMissingScope: 'skip' (per budget or per limit), global limits still applying", async () => {
    const perBudget = createBudget({
      onMissingScope: 'skip',
      limits: [
        { scope: 'thread', tokens: 50 },
        { scope: 'global', tokens: 30 },
      ],
    })
    await perBudget.record({}, usage)
    await expect(perBudget.reserve({}, request)).rejects.toSatisfy(BudgetExceededError.isInstance)

    const perLimit = createBudget({
      limits: [
        { scope: 'thread', tokens: 50, onMissingScope: 'skip' },
        { scope: 'agent', tokens: 50 },
      ],
    })
    await expect(perLimit.reserve({ agent: 'a' }, request)).resolves.toBeDefined()
    await expect(perLimit.reserve({ thread: 't' }, request)).rejects.toMatchObject({ scope: 'agent' })

    const overridden = createBudget({
      onMissingScope: 'skip',
      limits: [{ scope: 'thread', tokens: 50, onMissingScope: 'refuse' }],
    })
    await expect(overridden.reserve({}, request)).rejects.toSatisfy(MissingScopeError.isInstance)
  })

  it('should take the model from the request for a model limit, and refuse a call that names none', async () => {
    const budget = createBudget({ limits: [{ scope: 'model', tokens: 50 }] })
    await expect(budget.reserve({}, request)).resolves.toBeDefined()
    const error = await rejection(() => budget.reserve({}, { inputTokens: 10 }))
    expect(error).toMatchObject({ code: 'missing_scope', scope: 'model', limitName: 'model/none' })
  })

  it("should carve a child from a parent with model limits (the child's calls name the model)", async () => {
    const budget = createBudget({ limits: [{ scope: 'model', tokens: 1000 }] })
    const child = await budget.child({ agent: 'coordinator' }, { tokens: 100 })
    await expect(child.reserve({}, request)).resolves.toBeDefined()
    await child.end()
  })

  it('should not ask for the id of a scope whose only limits have ids', async () => {
    const budget = createBudget({ limits: [{ scope: 'agent', id: 'researcher', tokens: 50 }] })
    await expect(budget.reserve({}, request)).resolves.toBeDefined()
  })

  it.each<[string, unknown, string]>([
    ['an unknown budget policy', { onMissingScope: 'ignore', limits: [] }, 'onMissingScope'],
    [
      'an unknown limit policy',
      { limits: [{ scope: 'thread', tokens: 1, onMissingScope: 'allow' }] },
      'limits[0].onMissingScope',
    ],
    [
      'a policy on a limit with an id',
      { limits: [{ scope: 'thread', id: 't', tokens: 1, onMissingScope: 'skip' }] },
      'limits[0].onMissingScope',
    ],
    [
      'a policy on a global limit',
      { limits: [{ scope: 'global', tokens: 1, onMissingScope: 'skip' }] },
      'limits[0].onMissingScope',
    ],
  ])('should refuse %s', (_, options, field) => {
    expect(validationError(() => createBudget(options as BudgetOptions)).field).toBe(field)
  })
})
