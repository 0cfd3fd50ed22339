import type { BudgetContext } from '../budget/budget-context.ts'
import { BudgetValidationError } from '../errors/budget-validation-error.ts'
import { mergeCallContext } from './merge-call-context.ts'

/** A client class of a Stainless-generated SDK (`openai`, `@anthropic-ai/sdk`), typed by what is used of it. */
export type StainlessClientClass = new (
  ...args: any[]
) => { withOptions(options: any): object; request: unknown }

/** The budgeting of one SDK's clients: its settings by client, and how a client is made budgeted. */
export interface ClientBudgeting<
  Class extends StainlessClientClass,
  Settings extends { context: BudgetContext },
> {
  /** The budget settings of each budgeted client (never on the instance, so nothing collides with SDK fields). */
  readonly settingsByClient: WeakMap<object, Settings>
  /** The budgeted subclass of `Base` (cached per class; a budgeted class is its own). */
  budgetedClass(Base: Class): Class
  /**
   * Makes `client` budgeted in place (its prototype becomes the budgeted subclass of its own class: the
   * same object, still an instance of its class) with the settings `settingsOf()` makes once the client
   * is known to be one (it validates the options), replacing any it had.
   */
  instrument<Client extends object>(client: Client, settingsOf: () => Settings): Client
}

/**
 * The SDK-neutral half of budgeting a Stainless-generated client in place: a subclass of the caller's
 * own class (cached per class) swapped onto the instance, whose `withOptions()` clones keep the budget
 * and whose `withContext(context)` makes a clone with more context merged in. `define` adds what is the
 * SDK's own (which requests are budgeted, how a request maps to a call, how usage is read); `sdk` names
 * the SDK in the error for something that is not one of its clients.
 *
 * @example
 * import { clientBudgeting } from '@tokenwarden/core/adapter'
 * const budgeting = clientBudgeting<typeof OpenAI, ClientSettings>('an OpenAI client', (Base) =>
 *   class extends Base { … })
 * budgeting.instrument(client, () => settingsOf(options))
 */
export function clientBudgeting<
  Class extends StainlessClientClass,
  Settings extends { context: BudgetContext },
>(
  sdk: string,
  define: (Base: Class, settingsByClient: WeakMap<object, Settings>) => Class,
  { contextCloneOptions = () => ({}) }: { contextCloneOptions?: (client: object) => object } = {},
): ClientBudgeting<Class, Settings> {
  const settingsByClient = new WeakMap<object, Settings>()
  const classesByBase = new WeakMap<Class, Class>()
  const budgetedClasses = new WeakSet<object>()

  const budgetedClass = (Base: Class): Class => {
    if (budgetedClasses.has(Base)) return Base
    const cached = classesByBase.get(Base)
    if (cached !== undefined) return cached
    class KeptBudgeted extends Base {
      override withOptions(options: any): object {
        const client = super.withOptions(options)
        const settings = settingsByClient.get(this)
        if (settings !== undefined) settingsByClient.set(client, settings)
        return client
      }

      /** A client for the same budget with more context (thread, user, task, …) merged in. */
      withContext(context: BudgetContext): object {
        const settings = settingsByClient.get(this)
        const merged = mergeCallContext(settings?.context ?? {}, context, 'context') // ids checked here
        const client = super.withOptions(contextCloneOptions(this))
        if (settings !== undefined) settingsByClient.set(client, { ...settings, context: merged })
        return client
      }
    }
    const Budgeted = define(KeptBudgeted, settingsByClient)
    Object.defineProperty(Budgeted, 'name', { value: Base.name })
    budgetedClasses.add(Budgeted)
    classesByBase.set(Base, Budgeted)
    return Budgeted
  }

  const instrument = <Client extends object>(client: Client, settingsOf: () => Settings): Client => {
    const fields = client as { withOptions?: unknown; request?: unknown } | null
    if (
      fields === null ||
      typeof fields !== 'object' ||
      typeof fields.withOptions !== 'function' ||
      typeof fields.request !== 'function'
    ) {
      throw new BudgetValidationError({ field: 'client', value: client, reason: `expected ${sdk}` })
    }
    const settings = settingsOf()
    const Budgeted = budgetedClass(client.constructor as Class)
    if (!(client instanceof Budgeted)) Object.setPrototypeOf(client, Budgeted.prototype)
    settingsByClient.set(client, settings)
    return client
  }

  return { settingsByClient, budgetedClass, instrument }
}

/**
 * Whether `value` is an SDK stream (`Stream` of a Stainless-generated SDK: async iterable with an
 * `AbortController`), typed as the SDK's `Stream`.
 *
 * @example
 * if (isClientStream(value)) meterStream(value, call)
 */
export function isClientStream<Stream extends AsyncIterable<unknown> = AsyncIterable<unknown>>(
  value: unknown,
): value is Stream {
  return (
    value !== null &&
    typeof value === 'object' &&
    Symbol.asyncIterator in value &&
    (value as { controller?: unknown }).controller instanceof AbortController
  )
}

/** The SDK's parse of a response (`APIPromise.parseResponse`). */
export type ParseResponse<Props> = (client: unknown, props: Props) => Promise<unknown>

/**
 * A Stainless `APIPromise` like `promise` whose responses and parsed values pass through the adapter:
 * `responsePromise` maps the SDK's promise of the response (headers arrived, or the request failed)
 * and `parseResponse` is the parse, given the SDK's own. A new promise of the SDK's own class, so its
 * helpers (`withResponse()`, `asResponse()`, the promises derived with `_thenUnwrap`) stay and go
 * through both (assigning the fields of the SDK's promise would slow every `APIPromise` down).
 *
 * @example
 * import { wrapApiPromise } from '@tokenwarden/core/adapter'
 * return wrapApiPromise(super.request(options), this, {
 *   responsePromise: (response) => response.then(onHeaders, onError),
 *   parseResponse: async (parse, client, props) => settle(await parse(client, props)),
 * })
 */
export function wrapApiPromise<Promised extends PromiseLike<unknown>, Props = any>(
  promise: Promised,
  client: object,
  wrap: {
    responsePromise?: (response: Promise<Props>) => Promise<Props>
    parseResponse: (parse: ParseResponse<Props>, client: unknown, props: Props) => Promise<unknown>
  },
): Promised {
  const { responsePromise, parseResponse: parse } = promise as {
    responsePromise?: Promise<Props>
    parseResponse?: ParseResponse<Props>
  }
  if (typeof responsePromise?.then !== 'function' || typeof parse !== 'function')
    throw new TypeError('[tokenwarden] unsupported SDK version: its APIPromise has no responsePromise')
  const APIPromise = promise.constructor as new (
    client: object,
    response: Promise<Props>,
    parse: ParseResponse<Props>,
  ) => Promised
  const response =
    wrap.responsePromise === undefined ? responsePromise : wrap.responsePromise(responsePromise)
  const wrapped = wrap.parseResponse
  return new APIPromise(client, response, (client, props) => wrapped(parse, client, props))
}
