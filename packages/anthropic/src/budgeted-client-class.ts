import type Anthropic from '@anthropic-ai/sdk'
import type { APIPromise } from '@anthropic-ai/sdk'
import type { Stream } from '@anthropic-ai/sdk/core/streaming'
import type { BudgetContext } from '@tokenwarden/core'
import {
  type BudgetCall,
  clientBudgeting,
  exceededAnswer,
  isClientStream,
  meterClientStream,
  type ResolvedAdapterOptions,
  startBudgetCall,
  wrapApiPromise,
} from '@tokenwarden/core/adapter'
import { budgetExceededProps } from './budget-exceeded-response.ts'
import { reportedUsage } from './reported-usage.ts'
import { type MessagesBody, toCallInput } from './to-call-input.ts'

/**
 * A budgeted client's settings: `withBudget`'s options resolved, the context scoped by `withContext`.
 *
 * @example
 * const settings: ClientSettings = { ...validateAdapterOptions(options), context: { thread: 't-1' } }
 */
export type ClientSettings = ResolvedAdapterOptions<BudgetContext> & { context: BudgetContext }

/** The SDK's options of one request (`FinalRequestOptions`). */
export type RequestOptions = Awaited<Parameters<Anthropic['request']>[0]>

/** What the SDK's request resolves to before it is parsed (its `APIResponseProps`). */
export interface ResponseProps {
  options: RequestOptions
  response: Response
  controller: AbortController
}

/** A request's call once reserved, or the answer of a refused one (`onExceeded: 'finish'`). */
interface RequestState {
  call: BudgetCall | undefined
  refused: ResponseProps | undefined
  onStall: (() => void) | undefined
}

/**
 * The budgeting of Anthropic clients (core's `clientBudgeting`): `request()`, which `messages.*`,
 * `beta.messages.*` and their retries go through once per call, reserves a `POST /v1/messages` before
 * its first attempt, settles it from the parsed message or metered stream, and releases it on failure.
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
        const planned = Promise.resolve(options).then((resolved) =>
          isMessagesRequest(resolved) ? startMessagesCall(settings, resolved, state) : resolved,
        )
        return wrapApiPromise(super.request<Rsp>(planned, remainingRetries), this, {
          responsePromise: (response: Promise<ResponseProps>) =>
            response.then(
              (props) => {
                if (state.call === undefined) return props
                state.call.progress() // headers arrived: from now on a response nobody reads stalls, which aborts it
                state.onStall = abortOf(props.controller) // not `props`: its body must stay collectable
                return props
              },
              async (error: unknown) => {
                if (state.refused !== undefined) return state.refused
                await state.call?.fail() // HTTP error after retries, connection error, abort: nothing to bill
                throw error
              },
            ),
          parseResponse: async (parse, client, props: ResponseProps) => {
            const call = state.call
            if (call === undefined) return parse(client, props)
            const value = await parse(client, props).catch(async (error: unknown) => {
              await call.finish().catch(() => {}) // sent, then unreadable: the estimate counts
              throw error
            })
            if (props.options.stream === true && isClientStream<Stream<MessageEvent>>(value)) {
              meterMessageStream(value, call)
              return value
            }
            const message = value as { usage?: unknown; content?: unknown } | null | undefined
            await call.finish(reportedUsage(message?.usage), {
              outputText: () => contentText(message?.content),
            })
            return value
          },
        })
      }
    },
)

/** A Messages API call (`POST /v1/messages`, `?beta=true` before 1.x's qualifiers) with a params body. */
function isMessagesRequest(options: RequestOptions): boolean {
  const body = options.body
  return (
    options.method === 'post' &&
    (options.path === '/v1/messages' || options.path.startsWith('/v1/messages?')) &&
    body !== null &&
    typeof body === 'object' &&
    Object.getPrototypeOf(body) === Object.prototype
  )
}

/**
 * Reserves a Messages API request before the SDK builds it (`max_tokens` is the reserved output), then
 * gives a new body in the SDK's own options object the notice (in `system`) and clamped `max_tokens`,
 * only when either applies. A refusal rejects (nothing is sent), its answer in `state.refused`.
 */
function startMessagesCall(settings: ClientSettings, options: RequestOptions, state: RequestState) {
  const body = options.body as MessagesBody
  const started = startBudgetCall(settings.budget, {
    ...settings.callOptions,
    context: settings.context,
    model: settings.modelId ?? (typeof body.model === 'string' ? body.model : undefined),
    input: toCallInput(body),
    maxOutputTokens: body.max_tokens as number | undefined,
    onStall: () => state.onStall?.(),
  })
  return started.then(
    (call) => {
      try {
        const cap = call.maxOutputTokens
        const capped = cap !== undefined && cap !== body.max_tokens
        if (call.notice !== undefined || capped) {
          const sent: MessagesBody = { ...body }
          if (call.notice !== undefined) sent.system = withNotice(body.system, call.notice)
          if (capped) sent.max_tokens = cap
          options.body = sent // the SDK's own options object: the caller's params are not touched
        }
      } catch (error) {
        return call.fail().then(() => Promise.reject(error))
      }
      call.markSent()
      state.call = call
      return options
    },
    (error: unknown) => {
      const text = exceededAnswer(settings, error)
      if (text !== undefined) state.refused = budgetExceededProps(options, text)
      throw error // nothing is sent either way
    },
  )
}

/** `system` with the notice: appended to a string, or a last text block (`cache_control` stays put). */
function withNotice(system: unknown, notice: string): unknown {
  if (system === undefined || system === null || system === '') return notice
  if (typeof system === 'string') return `${system}\n\n${notice}`
  if (Array.isArray(system)) return [...system, { type: 'text', text: notice }]
  return system // not a shape the API takes: left for the API to reject
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

interface MessageEvent {
  type?: string
  message?: { usage?: Record<string, unknown> | null }
  usage?: Record<string, unknown> | null
  delta?: { text?: unknown; partial_json?: unknown; thinking?: unknown }
}

/**
 * Meters a Messages API event stream in place (core's `meterClientStream`) and settles its call with the
 * usage of `message_start` (input, cache reads and writes) and the cumulative `message_delta` (output),
 * or, for a stream left early, aborted, cut or failed, with what arrived (the output not yet reported
 * estimated from the text, JSON and thinking deltas counted).
 */
function meterMessageStream(stream: Stream<MessageEvent>, call: BudgetCall): void {
  let usage: Record<string, unknown> | undefined
  const observe = (event: MessageEvent) => {
    if (event?.type === 'content_block_delta') {
      const text = event.delta?.text ?? event.delta?.partial_json ?? event.delta?.thinking
      if (typeof text === 'string') call.countOutput(text)
    } else if (event?.type === 'message_start') {
      const { output_tokens: _, ...input } = event.message?.usage ?? {} // not yet the output
      usage = input
    } else if (event?.type === 'message_delta') {
      const next = { ...usage }
      for (const [field, value] of Object.entries(event.usage ?? {})) if (value != null) next[field] = value
      usage = next
    }
  }
  meterClientStream(stream, call, observe, () => call.finish(reportedUsage(usage)))
}

/**
 * Aborts the request, holding only its controller: the stall watch keeps this alive while the call is
 * open, and a closure over the response would keep its body from being collected, which the SDK's
 * backstop for abandoned streams and raw bodies waits for (it then removes its listener from the
 * caller's signal).
 */
function abortOf(controller: AbortController): () => void {
  return () => controller.abort()
}
