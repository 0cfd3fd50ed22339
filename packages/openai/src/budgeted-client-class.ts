import type { BudgetContext } from '@tokenwarden/core'
import type OpenAI from 'openai'
import type { APIPromise } from 'openai'
import type { Stream } from 'openai/streaming'
import { accountResponse, usageOfParsedResponse } from './account-response.ts'
import { apiPromiseParts, type ResponseProps } from './api-promise-parts.ts'
import { assertContext } from './assert-context.ts'
import { budgetedStream } from './budgeted-stream.ts'
import { countRawResponses } from './count-raw-responses.ts'
import { endpointOf } from './endpoint-of.ts'
import { type BudgetedCall, type CallSettings, planCall } from './plan-call.ts'
import { rewriteRequestBody, rewritesRequestBody } from './rewrite-request-body.ts'

type RequestOptions = Awaited<Parameters<OpenAI['request']>[0]>
type ClientOptions = Parameters<OpenAI['withOptions']>[0]

/** A budgeted client's settings, by client (never on the instance, so nothing collides with SDK fields). */
const settingsByClient = new WeakMap<object, CallSettings>()
/** The call of each request, by the SDK's options object of that request (seen again before each attempt). */
const callsByOptions = new WeakMap<object, BudgetedCall>()
/** Runs after the pending promise jobs (setImmediate where the runtime has it). */
const afterThisTurn: (run: () => void) => void =
  typeof setImmediate === 'function' ? (run) => setImmediate(run) : (run) => setTimeout(run, 0)
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
      const summaryClient =
        settings.policies === undefined
          ? undefined
          : () => {
              // Summary calls go through a budgeted clone without policies (and without the warnings).
              const clone = super.withOptions({})
              settingsByClient.set(clone, { ...settings, policies: undefined, injectWarnings: false })
              return clone
            }
      const planned = Promise.resolve(options).then((resolved) => {
        const endpoint = endpointOf(resolved)
        if (endpoint === undefined) return resolved
        return planCall(settings, endpoint, resolved.body as Record<string, unknown>, summaryClient).then(
          (planned) => {
            call = planned
            callsByOptions.set(resolved, planned)
            return resolved
          },
        )
      })
      const inner = super.request<Rsp>(planned, remainingRetries)
      const { responsePromise, parseResponse } = apiPromiseParts(inner)
      // How the call is counted once its response arrives: a stream from a copy of its events; a JSON
      // response from the value the caller's parse produces (no second read of the body), or from a
      // copy of the body when the caller takes the raw response (asResponse) or nobody parses it.
      let accounting: 'pending' | 'parsed' | 'copied' = 'pending'
      let settled: Promise<void> = Promise.resolve()
      let received: ResponseProps | undefined
      const countCopy = () => {
        if (accounting !== 'pending' || call === undefined || received === undefined) return
        accounting = 'copied'
        settled = accountResponse(received, call, settings)
      }
      const tracked = responsePromise.then(
        (props) => {
          if (call === undefined) return props
          received = props
          if (call.stream) countCopy()
          else if (!isParsing()) afterThisTurn(countCopy) // counted from a copy if nobody parses it by then
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
      const promise = new PromiseClass(this, tracked, async (client: OpenAI, props: ResponseProps) => {
        if (call === undefined) return parseResponse(client, props)
        if (accounting !== 'pending') {
          const value = await parseResponse(client, props)
          if (call.stream && isStream(value)) {
            return budgetedStream(value, { client: this, settled, hideUsageChunk: call.addsUsageChunk })
          }
          await settled
          return value
        }
        accounting = 'parsed'
        let value: unknown
        try {
          value = await parseResponse(client, props)
        } catch (error) {
          await settleParsed(call, settings, undefined)
          throw error
        }
        await settleParsed(call, settings, value)
        return value
      })
      const isParsing = countRawResponses(promise, countCopy)
      return promise
    }

    protected override prepareRequest(
      request: RequestInit,
      context: { url: string; options: RequestOptions },
    ): Promise<void> {
      const prepared = super.prepareRequest(request, context)
      const call = callsByOptions.get(context.options)
      if (call === undefined || !rewritesRequestBody(call)) return prepared
      return prepared.then(() => {
        if (typeof request.body === 'string') request.body = rewriteRequestBody(request.body, call)
      })
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

/** Settles a JSON call from its parsed value; a failed settle goes to `onError` (the call has succeeded). */
async function settleParsed(call: BudgetedCall, settings: CallSettings, value: unknown): Promise<void> {
  try {
    await call.reservation.settle(usageOfParsedResponse(value, call, settings))
  } catch (error) {
    settings.onError(error)
  }
}

function isStream(value: unknown): value is Stream<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    Symbol.asyncIterator in value &&
    (value as { controller?: unknown }).controller instanceof AbortController
  )
}
