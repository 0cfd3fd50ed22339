import { BudgetValidationError } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { resolveRunContext } from './resolve-run-context.ts'

describe('resolveRunContext', () => {
  describe('merge', () => {
    it('should let the thread id override the base and the run scopes override both', () => {
      expect(
        resolveRunContext({
          base: { agent: 'a', thread: 'static', user: 'default' },
          threadId: 't-1',
          overrides: { user: 'u-42' },
          field: 'metadata.tokenwarden',
        }),
      ).toEqual({ agent: 'a', thread: 't-1', user: 'u-42' })
    })

    it('should refuse run scopes that are not an object, naming the field', () => {
      try {
        resolveRunContext({ base: {}, threadId: undefined, overrides: 'u-42', field: 'metadata.tokenwarden' })
        expect.unreachable()
      } catch (error) {
        expect(BudgetValidationError.isInstance(error)).toBe(true)
        expect((error as BudgetValidationError).field).toBe('metadata.tokenwarden')
      }
    })
  })
})
