import type { ScriptedReply, ScriptedUsage } from '../scripted-reply.ts'
import type { RouteReply, SseEvent, TestServerRoute } from '../test-server-route.ts'

/**
 * `POST /v1/messages` (Anthropic's Messages API): a `message` body, or its server-sent events
 * (`message_start` with the input and cache usage, `ping`, `content_block_start` / `content_block_delta`
 * (`text_delta`, `input_json_delta` for tool use) / `content_block_stop`, `message_delta` with the stop
 * reason and the cumulative usage, `message_stop`). The scripted usage keeps OpenAI's conventions
 * (`inputTokens` includes the cached and cache-write tokens); the route reports it the Anthropic way:
 * `input_tokens` excludes them, `cache_read_input_tokens` and `cache_creation_input_tokens` are apart.
 *
 * @example
 * const server = await startOpenAITestServer({ routes: [anthropicMessagesRoute] })
 * const client = new Anthropic({ apiKey: 'test', baseURL: server.url.replace(/\/v1$/, '') })
 */
export const anthropicMessagesRoute: TestServerRoute = {
  kind: 'messages',
  matches: (path) => path.endsWith('/v1/messages'),
  json: (context) => ({
    ...message(context),
    content: content(context.id, context.text, context.reply),
    stop_reason: stopReason(context.reply),
    usage: context.usage && messagesUsage(context.usage, context.usage.outputTokens),
  }),
  events: messageEvents,
  errorBody: (status) => ({
    type: 'error',
    error: { type: status === 429 ? 'rate_limit_error' : 'api_error', message: `scripted ${status}` },
  }),
}

function messagesUsage(usage: ScriptedUsage, outputTokens: number) {
  const cached = usage.cachedTokens ?? 0
  const cacheWrite = usage.cacheWriteTokens ?? 0
  return {
    input_tokens: Math.max(0, usage.inputTokens - cached - cacheWrite),
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cached,
    output_tokens: outputTokens,
    output_tokens_details:
      usage.reasoningTokens === undefined ? null : { thinking_tokens: usage.reasoningTokens },
    server_tool_use: null,
    service_tier: 'standard',
  }
}

function message({ id, request }: RouteReply) {
  return {
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model: request.body?.model ?? 'unknown',
    content: [] as object[],
    stop_reason: null as string | null,
    stop_sequence: null,
    container: null,
  }
}

function stopReason(reply: ScriptedReply): string {
  return reply.finishReason ?? (reply.toolCalls?.length ? 'tool_use' : 'end_turn')
}

function content(id: number, text: string, reply: ScriptedReply): object[] {
  const blocks: object[] = text.length > 0 ? [{ type: 'text', text, citations: null }] : []
  for (const [index, call] of (reply.toolCalls ?? []).entries()) {
    blocks.push({ type: 'tool_use', ...toolUse(id, index, call), input: JSON.parse(call.arguments || '{}') })
  }
  return blocks
}

function toolUse(id: number, index: number, call: NonNullable<ScriptedReply['toolCalls']>[number]) {
  return { id: call.id ?? `toolu_${id}_${index}`, name: call.name }
}

function* messageEvents(context: RouteReply): Generator<SseEvent> {
  const { id, deltas, reply, usage } = context
  const event = (type: string, payload: object): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`
  const start = usage && messagesUsage(usage, Math.min(1, usage.outputTokens))
  yield { data: event('message_start', { message: { ...message(context), usage: start } }) }
  yield { data: event('ping', {}) }
  let index = 0
  if (deltas.length > 0) {
    yield {
      data: event('content_block_start', {
        index,
        content_block: { type: 'text', text: '', citations: null },
      }),
    }
    for (const text of deltas) {
      yield {
        data: event('content_block_delta', { index, delta: { type: 'text_delta', text } }),
        isDelta: true,
      }
    }
    yield { data: event('content_block_stop', { index }) }
    index++
  }
  for (const [position, call] of (reply.toolCalls ?? []).entries()) {
    const block = { type: 'tool_use', ...toolUse(id, position, call), input: {} }
    yield { data: event('content_block_start', { index, content_block: block }) }
    const half = Math.ceil(call.arguments.length / 2)
    for (const partial_json of [call.arguments.slice(0, half), call.arguments.slice(half)]) {
      if (partial_json.length === 0) continue
      yield {
        data: event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } }),
        isDelta: true,
      }
    }
    yield { data: event('content_block_stop', { index }) }
    index++
  }
  yield {
    data: event('message_delta', {
      delta: { stop_reason: stopReason(reply), stop_sequence: null, stop_details: null, container: null },
      usage: usage && messagesUsage(usage, usage.outputTokens),
    }),
    usage: usage !== undefined,
  }
  yield { data: event('message_stop', {}) }
}
