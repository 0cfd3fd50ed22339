import type { BudgetContext } from '@tokenwarden/core'
import type OpenAI from 'openai'
import type { APIPromise } from 'openai'
import type { Stream } from 'openai/streaming'
import { accountResponse } from './account-response.ts'
import { apiPromiseParts } from './api-promise-parts.ts'
import { assertContext } from './assert-context.ts'
import { budgetedStream } from './budgeted-stream.ts'
import { endpointOf } from './endpoint-of.ts'
import { type BudgetedCall, type CallSettings, planCall } from './plan-call.ts'
import { rewriteRequestBody } from './rewrite-request-body.ts'

type RequestOptions = Awaited<Parameters<OpenAI['request']>[0]>
type ClientOptions = Parameters<OpenAI['withOptions']>[0]

/** A budgeted client's settings, by client (never on the instance, so nothing collides with SDK fields). */
const settingsByClient = new WeakMap<object, CallSettings>()
/** The call of each request, by the SDK's options object of that request (seen again before each attempt). */
const callsByOptions = new WeakMap<object, BudgetedCall>()
const classesByBase = new WeakMap<typeof OpenAI, typeof OpenAI>()
const budgetedClasses = new WeakSet<object>()

/**
 * The budgeted subclass of an OpenAI client class (cached per class, so `OpenAI`, `AzureOpenAI` and your
 * own subclasses all work). It overrides `request()`, which every call, helper and retry loop goes
 * through once per logical call: it reserves before the first attempt (a refusal rejects before any
 * HTTP request), settles from the response, and releases on errors; `prepareRequest()` applies the
 * body edits to each attempt; `withOptions()` clones keep the budget.
 *
 * @example
 * const Budgeted = budgetedClientClass(OpenAI)
 */
export function budgetedClientClass(Base: typeof OpenAI): typeof OpenAI {
  if (budgetedClasses.has(Base)) return Base
  const cached = classesByBase.get(Base)
  if (cached !== undefined) return cached

  class BudgetedClient extends Base {
    override request<Rsp>(
      options: RequestOptions | Promise<RequestOptions>,
      remainingRetries: number | null = null,
    ): APIPromise<Rsp> {
      const settings = settingsByClient.get(this)
      if (settings === undefined) return super.request<Rsp>(options, remainingRetries)
      let call: BudgetedCall | undefined
      const planned = Promise.resolve(options).then(async (resolved) => {
        const endpoint = endpointOf(resolved)
        if (endpoint === undefined) return resolved
        // Summary calls go through a budgeted clone without policies (and without the warnings).
        const summaryClient = () => {
          const clone = super.withOptions({})
          settingsByClient.set(clone, { ...settings, policies: undefined, injectWarnings: false })
          return clone
        }
        call = await planCall(settings, endpoint, resolved.body as Record<string, unknown>, summaryClient)
        callsByOptions.set(resolved, call)
        return resolved
      })
      const inner = super.request<Rsp>(planned, remainingRetries)
      const { responsePromise, parseResponse } = apiPromiseParts(inner)
      let settled: Promise<void> = Promise.resolve()
      const tracked = responsePromise.then(
        (props) => {
          if (call !== undefined) settled = accountResponse(props, call, settings)
          return props
        },
        async (error: unknown) => {
          // HTTP error after the client's retries, connection error, abort: nothing to bill, and the
          // model never saw the warnings this call carried.
          if (call !== undefined) {
            settings.budget.restoreWarnings(settings.context, call.takenWarnings)
            await call.reservation.release().catch(settings.onError)
          }
          throw error
        },
      )
      const PromiseClass = inner.constructor as new (...args: unknown[]) => APIPromise<Rsp>
      return new PromiseClass(this, tracked, async (client: OpenAI, props: any) => {
        const value = await parseResponse(client, props)
        if (call === undefined) return value
        if (call.stream && isStream(value)) {
          return budgetedStream(value, { client: this, settled, hideUsageChunk: call.addsUsageChunk })
        }
        await settled
        return value
      })
    }

    protected override async prepareRequest(
      request: RequestInit,
      context: { url: string; options: RequestOptions },
    ): Promise<void> {
      await super.prepareRequest(request, context)
      const call = callsByOptions.get(context.options)
      if (call !== undefined && typeof request.body === 'string') {
        request.body = rewriteRequestBody(request.body, call)
      }
    }

    override withOptions(options: ClientOptions): this {
      const client = super.withOptions(options)
      const settings = settingsByClient.get(this)
      if (settings !== undefined) settingsByClient.set(client, settings)
      return client
    }

    /** A client for the same budget with more context (thread, user, task, …) merged in. */
    withContext(context: BudgetContext): this {
      assertContext(context, 'context')
      const settings = settingsByClient.get(this)
      const client = super.withOptions({})
      if (settings !== undefined) {
        settingsByClient.set(client, { ...settings, context: { ...settings.context, ...context } })
      }
      return client
    }
  }

  budgetedClasses.add(BudgetedClient)
  classesByBase.set(Base, BudgetedClient)
  return BudgetedClient
}

/**
 * Attaches budget settings to a client made from a {@link budgetedClientClass} class.
 *
 * @example
 * setCallSettings(client, { budget, context: {}, clamp: false, injectWarnings: true, onError })
 */
export function setCallSettings(client: OpenAI, settings: CallSettings): void {
  settingsByClient.set(client, settings)
}

/**
 * The settings of a budgeted client, `undefined` for any other client.
 *
 * @example
 * callSettingsOf(client)?.context
 */
export function callSettingsOf(client: object): CallSettings | undefined {
  return settingsByClient.get(client)
}

function isStream(value: unknown): value is Stream<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    Symbol.asyncIterator in value &&
    (value as { controller?: unknown }).controller instanceof AbortController
  )
}
