import { BudgetValidationError } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { resolveRunContext } from './resolve-run-context.ts'

describe('resolveRunContext', () => {
  describe('merge', () => {
    it('should let the thread id override the base and the run scopes override both', () => {
      expect(
        resolveRunContext({ agent: 'a', thread: 'static', user: 'default' }, 't-1', { user: 'u-42' }),
      ).toEqual({ agent: 'a', thread: 't-1', user: 'u-42' })
    })

    it('should return the base itself when the run adds nothing', () => {
      const base = { agent: 'a' }
      expect(resolveRunContext(base, undefined, undefined)).toBe(base)
    })

    it('should refuse run scopes that are not an object, naming the field', () => {
      try {
        resolveRunContext({}, undefined, 'u-42')
        expect.unreachable()
      } catch (error) {
        expect(BudgetValidationError.isInstance(error)).toBe(true)
        expect((error as BudgetValidationError).field).toBe('metadata.tokenwarden')
      }
    })
  })
})
