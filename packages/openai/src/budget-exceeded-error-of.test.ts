import { BudgetExceededError } from '@tokenwarden/core'
import { OpenAIError } from 'openai'
import { describe, expect, it } from 'vitest'
import { budgetExceededErrorOf } from './budget-exceeded-error-of.ts'

const exceeded = new BudgetExceededError({
  scope: 'thread',
  scopeId: 't-1',
  limitName: 'thread',
  unit: 'tokens',
  limit: 100,
  used: 90,
  reserved: 0,
  requested: 50,
  remaining: 10,
  period: 'none',
  resetsAt: null,
})

describe('budgetExceededErrorOf', () => {
  describe('cause chain', () => {
    it('should find the error itself or behind an OpenAIError cause', () => {
      expect(budgetExceededErrorOf(exceeded)).toBe(exceeded)
      const wrapped = Object.assign(new OpenAIError(exceeded.message), { cause: exceeded })
      expect(budgetExceededErrorOf(wrapped)).toBe(exceeded)
      expect(budgetExceededErrorOf(new Error('other'))).toBeUndefined()
      expect(budgetExceededErrorOf(undefined)).toBeUndefined()
    })
  })
})
