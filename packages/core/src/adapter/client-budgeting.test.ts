import { type BudgetContext, BudgetValidationError } from '@tokenwarden/core'
import { clientBudgeting, isClientStream } from '@tokenwarden/core/adapter'
import { describe, expect, it } from 'vitest'

/** The shape of a Stainless-generated client: options kept on the instance, cloned by `withOptions`. */
class SdkClient {
  readonly options: { apiKey?: string }
  constructor(options: { apiKey?: string } = {}) {
    this.options = options
  }
  withOptions(options: { apiKey?: string }): this {
    return new (this.constructor as new (options: object) => this)({ ...this.options, ...options })
  }
  request(path: string): string {
    return path
  }
}

interface Settings {
  context: BudgetContext
  label: string
}

function budgeting() {
  return clientBudgeting<typeof SdkClient, Settings>(
    'an SDK client',
    (Base, settingsByClient) =>
      class extends Base {
        override request(path: string): string {
          return `${settingsByClient.get(this)?.label ?? 'unbudgeted'} ${super.request(path)}`
        }
      },
  )
}

describe('clientBudgeting', () => {
  it('should budget the client in place, keep it budgeted in withOptions clones and merge withContext', () => {
    const { instrument, settingsByClient } = budgeting()
    const client = new SdkClient({ apiKey: 'k' })
    expect(instrument(client, () => ({ context: { agent: 'a' }, label: 'budgeted' }))).toBe(client)
    expect(client).toBeInstanceOf(SdkClient)
    expect(client.constructor.name).toBe('SdkClient')
    expect(client.request('/x')).toBe('budgeted /x')
    const clone = client.withOptions({ apiKey: 'other' })
    expect(clone.request('/y')).toBe('budgeted /y')
    expect(clone.options).toEqual({ apiKey: 'other' })
    const thread = (client as unknown as { withContext(context: BudgetContext): SdkClient }).withContext({
      thread: 't-1',
    })
    expect(settingsByClient.get(thread)?.context).toEqual({ agent: 'a', thread: 't-1' })
    expect(settingsByClient.get(client)?.context).toEqual({ agent: 'a' })
    expect(new SdkClient().request('/z')).toBe('/z')
  })

  it('should reuse the subclass per class and replace the settings when instrumented again', () => {
    const { instrument, budgetedClass } = budgeting()
    const Budgeted = budgetedClass(SdkClient)
    expect(budgetedClass(SdkClient)).toBe(Budgeted)
    expect(budgetedClass(Budgeted)).toBe(Budgeted)
    const client = instrument(new SdkClient(), () => ({ context: {}, label: 'first' }))
    instrument(client, () => ({ context: {}, label: 'second' }))
    expect(Object.getPrototypeOf(client)).toBe(Budgeted.prototype)
    expect(client.request('/x')).toBe('second /x')
  })

  it('should name the field of something that is not a client, and of a bad context', () => {
    const { instrument } = budgeting()
    let made = false
    const settingsOf = () => {
      made = true
      return { context: {}, label: 'x' }
    }
    for (const value of [null, {}, { withOptions() {} }])
      expect(() => instrument(value as object, settingsOf)).toThrow(BudgetValidationError)
    expect(made).toBe(false)
    const client = instrument(new SdkClient(), settingsOf) as unknown as {
      withContext(context: unknown): unknown
    }
    expect(() => client.withContext('t-1')).toThrow(expect.objectContaining({ field: 'context' }))
    expect(() => client.withContext({ user: 42 })).toThrow(expect.objectContaining({ field: 'context.user' }))
  })
})

describe('isClientStream', () => {
  it('should tell an SDK stream (async iterable with a controller) from other values', () => {
    const stream = { controller: new AbortController(), async *[Symbol.asyncIterator]() {} }
    expect(isClientStream(stream)).toBe(true)
    expect(isClientStream({ async *[Symbol.asyncIterator]() {} })).toBe(false)
    expect(isClientStream({ choices: [] })).toBe(false)
    expect(isClientStream(null)).toBe(false)
  })
})
