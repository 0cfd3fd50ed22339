import type Anthropic from '@anthropic-ai/sdk'
import type { APIPromise } from '@anthropic-ai/sdk'
import type { Stream } from '@anthropic-ai/sdk/core/streaming'
import { type BudgetCall, clientBudgeting, exceededAnswer, isClientStream } from '@tokenwarden/core/adapter'
import { budgetExceededResponse } from './budget-exceeded-response.ts'
import { type MessageEvent, meterMessageStream } from './meter-message-stream.ts'
import { reportedUsage } from './reported-usage.ts'
import {
  type ClientSettings,
  isMessagesRequest,
  type RequestOptions,
  startMessagesCall,
} from './start-messages-call.ts'

interface ResponseProps {
  options: RequestOptions
  response: Response
  controller: AbortController
}
type ResponseParser = (client: Anthropic, props: ResponseProps) => Promise<unknown>

/** One budgeted request: its call once reserved, or the answer of a refused one (`onExceeded: 'finish'`). */
interface RequestState {
  call: BudgetCall | undefined
  refused: ResponseProps | undefined
  onStall: (() => void) | undefined
}

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
        const state: RequestState = { call: undefined, refused: undefined, onStall: undefined }
        const planned = Promise.resolve(options).then((resolved) => plan(settings, resolved, state))
        return instrument(super.request<Rsp>(planned, remainingRetries), state, this)
      }
    },
)

/** Reserves a Messages API request before the SDK builds it; other requests pass as they are. */
function plan(settings: ClientSettings, options: RequestOptions, state: RequestState) {
  if (!isMessagesRequest(options)) return options
  return startMessagesCall(settings, options, () => state.onStall?.()).then(
    (call) => {
      state.call = call
      return options
    },
    (error: unknown) => {
      const text = exceededAnswer(settings, error)
      if (text !== undefined) state.refused = exceededProps(options, text)
      throw error // nothing is sent either way
    },
  )
}

/**
 * The SDK's `APIPromise` of a request as one of its own class (its helpers all stay) that settles the
 * call from what it parses and releases it when the request fails. (A new one: assigning the fields of
 * the SDK's would slow down every `APIPromise`, those of unbudgeted clients too.)
 */
function instrument<Rsp>(inner: APIPromise<Rsp>, state: RequestState, client: Anthropic): APIPromise<Rsp> {
  const { responsePromise, parseResponse: parse } = inner as unknown as {
    responsePromise?: Promise<ResponseProps>
    parseResponse?: ResponseParser
  }
  if (typeof responsePromise?.then !== 'function' || typeof parse !== 'function') {
    throw new TypeError(
      '[tokenwarden] [anthropic] unsupported @anthropic-ai/sdk: APIPromise has no responsePromise',
    )
  }
  const tracked = responsePromise.then(
    (props) => {
      if (state.call === undefined) return props
      state.call.progress() // headers arrived: from now on a response nobody reads stalls, which aborts it
      state.onStall = () => props.controller.abort()
      return props
    },
    async (error: unknown) => {
      if (state.refused !== undefined) return state.refused
      await state.call?.fail() // HTTP error after retries, connection error, abort: nothing to bill
      throw error
    },
  )
  const PromiseClass = inner.constructor as new (
    client: Anthropic,
    responsePromise: Promise<ResponseProps>,
    parse: ResponseParser,
  ) => APIPromise<Rsp>
  return new PromiseClass(client, tracked, async (client, props) => {
    const call = state.call
    if (call === undefined) return parse(client, props)
    let value: unknown
    try {
      value = await parse(client, props)
    } catch (error) {
      await call.finish().catch(() => {}) // sent, then unreadable: the estimate counts
      throw error
    }
    if (props.options.stream === true && isClientStream<Stream<MessageEvent>>(value)) {
      meterMessageStream(value, call)
      return value
    }
    const message = value as { usage?: unknown; content?: unknown } | null | undefined
    await call.finish(reportedUsage(message?.usage), { outputText: () => contentText(message?.content) })
    return value
  })
}

/** The response props of a refused call (`onExceeded: 'finish'`), parsed by the SDK like a real response. */
function exceededProps(options: RequestOptions, text: string): ResponseProps {
  const model = (options.body as { model?: unknown }).model
  const response = budgetExceededResponse({ model, text, stream: options.stream === true })
  return Object.assign(
    { options, response, controller: new AbortController() },
    { requestLogID: 'tokenwarden-budget-exceeded', retryOfRequestLogID: undefined, startTime: Date.now() },
  )
}

/** The output text of a message that reported no usage: its text, thinking and tool use. */
function contentText(content: unknown): string {
  let text = ''
  if (Array.isArray(content))
    for (const block of content as Record<string, unknown>[]) {
      if (typeof block?.text === 'string') text += block.text
      else if (typeof block?.thinking === 'string') text += block.thinking
      else if (block?.type === 'tool_use') text += `${block.name}${JSON.stringify(block.input)}`
    }
  return text
}
