import type Anthropic from '@anthropic-ai/sdk'
import type { BudgetContext } from '@tokenwarden/core'
import { type BudgetCall, type ResolvedAdapterOptions, startBudgetCall } from '@tokenwarden/core/adapter'
import { type MessagesBody, toCallInput } from './to-call-input.ts'

/** A budgeted client's settings: `withBudget`'s options resolved, the context scoped by `withContext`. */
export type ClientSettings = ResolvedAdapterOptions<BudgetContext> & { context: BudgetContext }

/** The SDK's options of one request (`FinalRequestOptions`). */
export type RequestOptions = Awaited<Parameters<Anthropic['request']>[0]>

/**
 * Whether a request is a Messages API call (`POST /v1/messages`, `?beta=true` before 1.x's qualifiers)
 * with a plain params body: the requests the client budgets.
 *
 * @example
 * isMessagesRequest({ method: 'post', path: '/v1/messages', body: params }) // true
 */
export function isMessagesRequest(options: RequestOptions): boolean {
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
 * Reserves a Messages API call (`max_tokens` is the reserved output), then gives the request its notice
 * (in `system`) and clamped `max_tokens`: on a new body in the SDK's own options object, and only when
 * either applies, so a call with room goes out as the caller's params. A refusal rejects (nothing sent).
 *
 * @example
 * const call = await startMessagesCall(settings, options, () => controller.abort())
 */
export function startMessagesCall(
  settings: ClientSettings,
  options: RequestOptions,
  onStall: () => void,
): Promise<BudgetCall> {
  const body = options.body as MessagesBody
  const started = startBudgetCall(settings.budget, {
    context: settings.context,
    model: settings.modelId ?? (typeof body.model === 'string' ? body.model : undefined),
    input: toCallInput(body),
    maxOutputTokens: body.max_tokens as number | undefined,
    clamp: settings.clamp,
    warnings: settings.injectWarnings,
    status: settings.injectStatus,
    stallMs: settings.stallMs,
    stopAtReservation: settings.stopStreamsAtReservation,
    onStall,
  })
  return started.then((call) => {
    try {
      const cap = call.maxOutputTokens
      const capped = cap !== undefined && cap !== body.max_tokens
      if (call.notice !== undefined || capped) {
        const sent: MessagesBody = { ...body }
        if (call.notice !== undefined) sent.system = withNotice(body.system, call.notice)
        if (capped) sent.max_tokens = cap
        options.body = sent // the SDK's own options object: the caller's params are not touched
      }
      call.markSent()
      return call
    } catch (error) {
      return call.fail().then(() => Promise.reject(error))
    }
  })
}

/**
 * `system` with the notice: appended to a string, or added as a last text block after the caller's
 * blocks, which stay as they are (their `cache_control` breakpoints included).
 */
function withNotice(system: unknown, notice: string): unknown {
  if (system === undefined || system === null || system === '') return notice
  if (typeof system === 'string') return `${system}\n\n${notice}`
  if (Array.isArray(system)) return [...system, { type: 'text', text: notice }]
  return system // not a shape the API takes: left for the API to reject
}
