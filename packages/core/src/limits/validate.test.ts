import { describe, expect, it } from 'vitest'
import { createBudget } from '../budget/create-budget.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'

const usage = { inputTokens: 5, outputTokens: 5 }

describe('ids checked on every call (the last valid ones are remembered)', () => {
  // first in this file (a fresh module): nothing passed yet, the remembered ids are empty
  it('should refuse an empty id before any id passed twice', async () => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
    await expect(budget.reserve({ thread: '' }, { inputTokens: 10 })).rejects.toSatisfy(
      (error) => BudgetValidationError.isInstance(error) && error.field === 'context.thread',
    )
  })

  it.each([
    ['an empty id', ''],
    ['a blank id', '  '],
    ['a NUL', 't\u0000'],
    ['a lone surrogate', '\uD800'],
  ])('should refuse %s right after valid ids passed', async (_, bad) => {
    const budget = createBudget({ limits: [{ scope: 'thread', tokens: 1000 }] })
    const request = { model: 'gpt-4o', inputTokens: 10, maxOutputTokens: 10 }
    await (await budget.reserve({ thread: 't' }, request)).settle(usage)
    await (await budget.reserve({ thread: 't' }, request)).settle(usage)
    await expect(budget.reserve({ thread: bad }, request)).rejects.toSatisfy(
      (error) => BudgetValidationError.isInstance(error) && error.field === 'context.thread',
    )
    await expect(budget.reserve({ thread: 't' }, { ...request, model: bad })).rejects.toSatisfy(
      (error) => BudgetValidationError.isInstance(error) && error.field === 'request.model',
    )
  })
})
