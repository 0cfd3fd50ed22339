import { BudgetExceededError } from '@tokenwarden/core'
import {
  type BudgetCall,
  clientBudgeting,
  isClientStream,
  type ParseResponse,
  wrapApiPromise,
} from '@tokenwarden/core/adapter'
import type OpenAI from 'openai'
import type { Stream } from 'openai/streaming'
import { budgetExceededResponse } from './budget-exceeded-response.ts'
import { meterStream } from './meter-stream.ts'
import { reportedUsage } from './reported-usage.ts'
import {
  type ClientSettings,
  isPlainObject,
  type RequestCall,
  startRequestCall,
} from './start-request-call.ts'
import type { Endpoint } from './to-call-input.ts'

type RequestOptions = Awaited<Parameters<OpenAI['request']>[0]>

const endpoints: Record<string, Endpoint> = {
  '/chat/completions': 'chat',
  '/responses': 'responses',
  '/embeddings': 'embeddings',
}
const deploymentPrefix = /^\/deployments\/[^/]+/

/** The budgeted endpoint of a path, Azure's `/deployments/{model}` in front or not (no regex run for others). */
function endpointOf(path: string): Endpoint | undefined {
  return Object.hasOwn(endpoints, path)
    ? endpoints[path]
    : path.startsWith('/deployments/')
      ? endpoints[path.replace(deploymentPrefix, '')]
      : undefined
}
/** The call of each request, by the SDK's options object of that request (the same for every attempt). */
const callsByOptions = new WeakMap<object, RequestCall>()
/** The answers of calls refused with `onExceeded: 'finish'`, by the request that is not sent. */
const refusedRequests = new WeakMap<object, Response>()
/** Streams already metered (a derived promise parses the same stream again). */
const meteredStreams = new WeakSet<object>()

/**
 * The budgeting of OpenAI clients (`OpenAI`, `AzureOpenAI`, yours): core's `clientBudgeting` (the
 * subclass swapped onto the instance, `withOptions()` clones and `withContext()` kept budgeted) with
 * OpenAI's requests. `prepareRequest()` reserves before the first attempt (a refusal throws there: no
 * HTTP request, no retry), estimating from the JSON the SDK serialized, and applies the budget's edits
 * to each attempt; `request()` settles from the value the SDK parses for the caller (a JSON body, or a
 * stream metered as the caller reads it) and releases on errors.
 *
 * @example
 * openAIBudgeting.instrument(client, () => settings)
 */
export const openAIBudgeting = clientBudgeting<typeof OpenAI, ClientSettings>(
  'an OpenAI client',
  (Base, settingsByClient) =>
    class BudgetedClient extends Base {
      override request<Rsp>(
        options: RequestOptions | Promise<RequestOptions>,
        retries: number | null = null,
      ) {
        const promise = super.request<Rsp>(options, retries)
        if (!settingsByClient.has(this)) return promise
        return wrapApiPromise(promise, this, {
          responsePromise: (response: Promise<{ options: object }>) => {
            response.then(
              (props) => callsByOptions.get(props.options)?.call.progress(), // headers arrived
              () =>
                Promise.resolve(options).then(
                  (resolved) => callsByOptions.get(resolved)?.call.fail(),
                  ignore,
                ),
            )
            return response
          },
          parseResponse: settleParsed,
        })
      }

      protected override async prepareRequest(
        request: RequestInit,
        context: { url: string; options: RequestOptions },
      ): Promise<void> {
        await super.prepareRequest(request, context)
        const settings = settingsByClient.get(this)
        const { method, path } = context.options // Azure has put `/deployments/{model}` in front by now
        const endpoint = method === 'post' ? endpointOf(path) : undefined
        if (settings === undefined || endpoint === undefined || !isPlainObject(context.options.body)) return
        let planned = callsByOptions.get(context.options)
        if (planned === undefined) {
          const summaryClient = () => {
            const clone = super.withOptions({}) // summaries: budgeted, without policies, warnings or 'finish'
            settingsByClient.set(clone, {
              ...settings,
              policies: undefined,
              injectWarnings: false,
              onExceeded: 'throw',
            })
            return clone
          }
          try {
            planned = await startRequestCall(
              settings,
              endpoint,
              request.body,
              context.options.body,
              summaryClient,
            )
          } catch (error) {
            const answer =
              settings.onExceeded === 'finish' && BudgetExceededError.isInstance(error)
                ? budgetExceededResponse(endpoint, request.body, settings.exceededText(error))
                : undefined
            if (answer === undefined) throw error
            refusedRequests.set(request, answer) // fetchWithAuth answers it: nothing is sent
            return
          }
          callsByOptions.set(context.options, planned)
          if (planned.body !== undefined) request.body = planned.body
        } else if (planned.editAttempt !== undefined) {
          request.body = planned.editAttempt(request.body) ?? request.body // a retry, serialized again by the SDK
        } else if (planned.body !== undefined) {
          request.body = planned.body
        }
        planned.call.markSent()
      }

      protected override fetchWithAuth(
        url: Parameters<OpenAI['fetchWithAuth']>[0],
        init: RequestInit,
        timeout: number,
        controller: AbortController,
        schemes?: Parameters<OpenAI['fetchWithAuth']>[4],
      ): Promise<Response> {
        const answer = refusedRequests.get(init)
        return answer === undefined
          ? super.fetchWithAuth(url, init, timeout, controller, schemes)
          : Promise.resolve(answer)
      }
    },
  {
    // Early 7.x `AzureOpenAI.withOptions()` drops these: pass them along.
    contextCloneOptions: (client) => {
      const azure = client as { apiVersion?: string; deploymentName?: string }
      return 'apiVersion' in azure ? { apiVersion: azure.apiVersion, deployment: azure.deploymentName } : {}
    },
  },
)

/**
 * Settles a request from the value the SDK parses for the caller (the promises `_thenUnwrap` derives
 * parse through it too): a JSON body's `usage`, or a stream metered as it is read.
 */
async function settleParsed(
  parse: ParseResponse<{ options: object }>,
  client: unknown,
  props: { options: object },
) {
  const planned = callsByOptions.get(props.options)
  if (planned === undefined) return parse(client, props)
  planned.call.markSent() // reading the body waits for the provider
  const value: any = await parse(client, props).catch(async (error: unknown) => {
    await planned.call.finish().catch(ignore) // the provider answered: the estimate counts; its error stays
    throw error
  })
  if (isClientStream<Stream<unknown>>(value)) {
    if (meteredStreams.has(value)) return value
    meteredStreams.add(value)
    const { endpoint, hideUsageChunk } = planned
    planned.onStall = meterStream(value, planned.call, { endpoint, hideUsageChunk })
    return value
  }
  await planned.call.finish(reportedUsage(planned.endpoint, value?.usage), {
    outputTokens: () => outputTokens(planned.call, value),
    conversation: planned.endpoint === 'responses' ? value?.id : undefined,
  })
  return value
}

/** The output of a JSON response without usage, counted from its choices or output items. */
function outputTokens(call: BudgetCall, value: any): number {
  const output = value?.choices ?? value?.output
  if (output != null) call.countOutput(JSON.stringify(output))
  return call.outputTokens
}

function ignore(): void {}
