import { describe, expect, it } from 'vitest'
import { BudgetExceededError } from './budget-exceeded-error.ts'
import { BudgetValidationError } from './budget-validation-error.ts'
import { InvalidPriceError } from './invalid-price-error.ts'
import { ReservationOverrunError } from './reservation-overrun-error.ts'
import { TokenwardenError } from './tokenwarden-error.ts'
import { UnknownPriceError } from './unknown-price-error.ts'

const details = {
  scope: 'thread',
  scopeId: 't-1',
  limitName: 'thread/none',
  unit: 'tokens' as const,
  limit: 100_000,
  used: 99_000,
  reserved: 500,
  requested: 2_000,
  remaining: 500,
  period: 'none',
  resetsAt: null,
}

describe('errors', () => {
  it('should recognise each error by kind with isInstance, not by its parent', () => {
    const exceeded = new BudgetExceededError(details)
    const validation = new BudgetValidationError({
      field: 'limits[0].tokens',
      value: -1,
      reason: 'expected a number ≥ 0',
    })
    expect(BudgetExceededError.isInstance(exceeded)).toBe(true)
    expect(TokenwardenError.isInstance(exceeded)).toBe(true)
    expect(BudgetValidationError.isInstance(exceeded)).toBe(false)
    expect(BudgetExceededError.isInstance(validation)).toBe(false)
    expect(UnknownPriceError.isInstance(new Error('x'))).toBe(false)
    const price = new InvalidPriceError({ model: 'm', value: Number.NaN, reason: 'expected a number' })
    expect(InvalidPriceError.isInstance(price)).toBe(true)
    expect(BudgetValidationError.isInstance(price)).toBe(false)
    expect(price).toMatchObject({ code: 'invalid_price', model: 'm', field: 'prices.cost()' })
    expect(TokenwardenError.isInstance(null)).toBe(false)
  })

  it('should name the limit of an unknown price in words, not as agent/none', () => {
    expect(new UnknownPriceError({ model: 'my-model', limitName: 'agent/none' }).message).toBe(
      '[tokenwarden] no price is known for model "my-model" and the USD limit on agent (all time) applies; add it to prices.models or set unknownPrice',
    )
    expect(new UnknownPriceError({ model: undefined, limitName: 'agent:researcher/day' }).message).toBe(
      '[tokenwarden] the USD limit on agent "researcher" (per day) applies but the call names no model, so its cost is unknown',
    )
    expect(new UnknownPriceError({ model: 'm', limitName: 'team cap' }).message).toContain(
      'the USD limit "team cap" applies',
    )
  })

  it('should recognise an error made by another copy of the package', () => {
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('tokenwarden.error')]: true,
      [Symbol.for('tokenwarden.error.budget-exceeded')]: true,
    })
    expect(BudgetExceededError.isInstance(foreign)).toBe(true)
  })

  it('should write USD amounts as dollars in the message', () => {
    const error = new BudgetExceededError({
      ...details,
      unit: 'costUsd',
      limit: 5,
      used: 4.9,
      reserved: 0,
      requested: 0.25,
      remaining: 0.1,
    })
    expect(error.message).toBe(
      '[tokenwarden] budget exceeded: thread "t-1" has $0.10 of $5.00 left, the call needs $0.25',
    )
  })

  it('should carry readable fields, a message and JSON', () => {
    const error = new BudgetExceededError(details)
    expect(error).toMatchObject(details)
    expect(error.message).toMatch(/thread "t-1".*500 tokens/)
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ ...details, code: 'budget_exceeded' })
  })
  it('should report a stopped stream with its reservation and what it produced', () => {
    const error = new ReservationOverrunError({
      reservationId: 'r-1',
      reservedOutputTokens: 100,
      producedOutputTokens: 104,
    })
    expect(ReservationOverrunError.isInstance(error)).toBe(true)
    expect(BudgetExceededError.isInstance(error)).toBe(false)
    expect(error).toMatchObject({
      code: 'reservation_overrun',
      reservedOutputTokens: 100,
      producedOutputTokens: 104,
    })
  })
})
