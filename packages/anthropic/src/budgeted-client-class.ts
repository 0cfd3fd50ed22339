import type Anthropic from '@anthropic-ai/sdk'
import type { APIPromise } from '@anthropic-ai/sdk'
import type { Stream } from '@anthropic-ai/sdk/core/streaming'
import { BudgetExceededError, type TokenEstimator } from '@tokenwarden/core'
import { type BudgetCall, clientBudgeting, isClientStream } from '@tokenwarden/core/adapter'
import { budgetExceededResponse } from './budget-exceeded-response.ts'
import { meterMessageStream } from './meter-message-stream.ts'
import { reportedUsage } from './reported-usage.ts'
import {
  type ClientSettings,
  isMessagesRequest,
  type RequestOptions,
  startMessagesCall,
} from './start-messages-call.ts'
import type { MessagesBody } from './to-call-input.ts'

interface ResponseProps {
  options: RequestOptions
  response: Response
  controller: AbortController
}
type ResponseParser = (client: Anthropic, props: ResponseProps) => Promise<unknown>

/**
 * The budgeting of Anthropic clients (`Anthropic` and your own subclasses): core's `clientBudgeting`
 * (the subclass swapped onto the instance, `withOptions()` clones and `withContext()` kept budgeted)
 * with Anthropic's requests. It overrides `request()`, which `messages.create`, `messages.stream()`,
 * `beta.messages.*` and their retries go through once per logical call: a `POST /v1/messages` is
 * reserved before its first attempt (a refusal rejects before any HTTP request and is not retried),
 * shown the budget's notice in `system` and sent the clamped `max_tokens` (only when either applies:
 * otherwise the SDK serializes the caller's body as it would unwrapped), settled from the parsed
 * message or the metered stream, and released when the request fails.
 *
 * @example
 * anthropicBudgeting.instrument(client, () => settings)
 */
export const anthropicBudgeting = clientBudgeting<typeof Anthropic, ClientSettings>(
  'an Anthropic client',
  (Base, settingsByClient) =>
    class BudgetedAnthropic extends Base {
      override request<Rsp>(
        options: RequestOptions | Promise<RequestOptions>,
        remainingRetries: number | null = null,
      ): APIPromise<Rsp> {
        const settings = settingsByClient.get(this)
        if (settings === undefined) return super.request<Rsp>(options, remainingRetries)
        let call: BudgetCall | undefined
        let onStall: (() => void) | undefined
        let refused: ResponseProps | undefined // onExceeded 'finish': the response made for a refused call
        const planned = Promise.resolve(options).then((resolved) => {
          if (!isMessagesRequest(resolved)) return resolved
          return startMessagesCall(settings, resolved, () => onStall?.()).then(
            (started) => {
              call = started
              return resolved
            },
            (error: unknown) => {
              if (settings.exceededText !== undefined && BudgetExceededError.isInstance(error))
                refused = exceededProps(resolved, settings.exceededText(error))
              throw error // nothing is sent either way
            },
          )
        })
        const inner = super.request<Rsp>(planned, remainingRetries)
        const parts = inner as unknown as {
          responsePromise?: Promise<ResponseProps>
          parseResponse?: unknown
        }
        if (typeof parts.responsePromise?.then !== 'function' || typeof parts.parseResponse !== 'function') {
          throw new TypeError(
            '[tokenwarden] [anthropic] unsupported @anthropic-ai/sdk: APIPromise has no responsePromise',
          )
        }
        const parseResponse = parts.parseResponse as ResponseParser
        const tracked = parts.responsePromise.then(
          (props) => {
            if (call === undefined) return props
            call.progress() // headers arrived: from now on a response nobody reads stalls, which aborts it
            onStall = abortOf(props.controller) // not `props`: its body must stay collectable, see abortOf
            return props
          },
          async (error: unknown) => {
            if (refused !== undefined) return refused
            await call?.fail() // HTTP error after retries, connection error, abort: nothing to bill
            throw error
          },
        )
        const PromiseClass = inner.constructor as new (
          client: Anthropic,
          responsePromise: Promise<ResponseProps>,
          parse: ResponseParser,
        ) => APIPromise<Rsp>
        return new PromiseClass(this, tracked, async (client, props) => {
          if (call === undefined) return parseResponse(client, props)
          let value: unknown
          try {
            value = await parseResponse(client, props)
          } catch (error) {
            await call.finish().catch(() => {}) // sent, then unreadable: the estimate counts
            throw error
          }
          if (props.options.stream === true && isClientStream<Stream<unknown>>(value)) {
            return meterMessageStream(value, call, {
              client: this,
              stopAtReservation: settings.stopStreamsAtReservation,
            })
          }
          const message = value as { usage?: unknown; content?: unknown } | null | undefined
          await call.finish(reportedUsage(message?.usage), {
            outputTokens: () => contentTokens(message?.content, settings.budget.estimator),
          })
          return value
        })
      }
    },
)

/**
 * Aborts the request, holding only its controller: the stall watch keeps this alive as long as the call
 * is open, and a closure over the response would keep its body from being collected, which the SDK's
 * backstop for abandoned streams and raw bodies waits for (it removes its listener from the caller's
 * signal when the body is collected).
 */
function abortOf(controller: AbortController): () => void {
  return () => controller.abort()
}

/** The response props of a refused call (`onExceeded: 'finish'`), parsed by the SDK like a real response. */
function exceededProps(options: RequestOptions, text: string): ResponseProps {
  const body = options.body as MessagesBody
  const stream = options.stream === true
  const response = budgetExceededResponse({ model: body.model, text, stream })
  return Object.assign(
    { options, response, controller: new AbortController() },
    { requestLogID: 'tokenwarden-budget-exceeded', retryOfRequestLogID: undefined, startTime: Date.now() },
  )
}

/** The output of a message that reported no usage, from its text, thinking and tool use. */
function contentTokens(content: unknown, estimator: TokenEstimator): number {
  if (!Array.isArray(content)) return 0
  let text = ''
  for (const block of content as Record<string, unknown>[]) {
    if (typeof block?.text === 'string') text += block.text
    else if (typeof block?.thinking === 'string') text += block.thinking
    else if (block?.type === 'tool_use') text += `${block.name}${JSON.stringify(block.input)}`
  }
  return text.length === 0 ? 0 : estimator.count(text)
}
