import type { RecordedRequest, ScriptedReply, ScriptedUsage } from '../scripted-reply.ts'
import type { SseEvent, TestServerRoute } from '../test-server-route.ts'

/**
 * `POST /v1/chat/completions`: a `chat.completion` body, or `chat.completion.chunk` events ending in
 * `[DONE]`, with a usage chunk when the request sets `stream_options.include_usage`.
 *
 * @example
 * const server = await startOpenAITestServer({ routes: [chatCompletionsRoute] })
 */
export const chatCompletionsRoute: TestServerRoute = {
  kind: 'chat',
  matches: (path) => path.endsWith('/chat/completions'),
  json: ({ id, request, text, reply, usage }) => chatCompletion(id, request, text, reply, usage),
  events: ({ id, request, deltas, reply, usage }) => chatEvents(id, request, deltas, reply, usage),
}

function chatUsage(usage: ScriptedUsage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0, audio_tokens: 0 },
  }
}

function chatCompletion(
  id: number,
  request: RecordedRequest,
  text: string,
  reply: ScriptedReply,
  usage?: ScriptedUsage,
) {
  const toolCalls = reply.toolCalls?.map((call, index) => ({
    id: call.id ?? `call_${id}_${index}`,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }))
  return {
    id: `chatcmpl-${id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.body?.model ?? 'unknown',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text.length > 0 ? text : null,
          refusal: null,
          tool_calls: toolCalls,
        },
        logprobs: null,
        finish_reason: reply.finishReason ?? (toolCalls?.length ? 'tool_calls' : 'stop'),
      },
    ],
    usage: usage ? chatUsage(usage) : undefined,
  }
}

function* chatEvents(
  id: number,
  request: RecordedRequest,
  deltas: string[],
  reply: ScriptedReply,
  usage?: ScriptedUsage,
): Generator<SseEvent> {
  const base = {
    id: `chatcmpl-${id}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: request.body?.model ?? 'unknown',
  }
  const event = (payload: object): string => `data: ${JSON.stringify({ ...base, ...payload })}\n\n`
  yield {
    data: event({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }),
  }
  for (const delta of deltas) {
    yield {
      data: event({ choices: [{ index: 0, delta: { content: delta }, finish_reason: null }] }),
      isDelta: true,
    }
  }
  for (const [index, call] of (reply.toolCalls ?? []).entries()) {
    yield {
      data: event({
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                {
                  index,
                  id: call.id ?? `call_${id}_${index}`,
                  type: 'function',
                  function: { name: call.name, arguments: call.arguments },
                },
              ],
            },
            finish_reason: null,
          },
        ],
      }),
      isDelta: true,
    }
  }
  const finish = reply.finishReason ?? (reply.toolCalls?.length ? 'tool_calls' : 'stop')
  yield { data: event({ choices: [{ index: 0, delta: {}, finish_reason: finish }] }) }
  if (usage && request.body?.stream_options?.include_usage === true) {
    yield { data: event({ choices: [], usage: chatUsage(usage) }), usage: true }
  }
  yield { data: 'data: [DONE]\n\n' }
}
