import type { RecordedRequest, ScriptedReply, ScriptedUsage } from '../scripted-reply.ts'
import type { SseEvent, TestServerRoute } from '../test-server-route.ts'

/**
 * `POST /v1/responses`: a `response` body, or the Responses API's typed events (`response.created`,
 * `response.output_text.delta`, function-call arguments, `response.completed` with the usage).
 *
 * @example
 * const server = await startOpenAITestServer({ routes: [responsesRoute] })
 */
export const responsesRoute: TestServerRoute = {
  kind: 'responses',
  matches: (path) => path.endsWith('/responses'),
  json: ({ id, request, text, reply, usage }) => response(id, request, text, reply, usage),
  events: ({ id, request, text, deltas, reply, usage }) =>
    responseEvents(id, request, text, deltas, reply, usage),
}

function responsesUsage(usage: ScriptedUsage) {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: {
      cached_tokens: usage.cachedTokens ?? 0,
      cache_write_tokens: usage.cacheWriteTokens ?? 0,
    },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  }
}

function responseOutput(id: number, text: string, reply: ScriptedReply) {
  const output: object[] = []
  if (text.length > 0) {
    output.push({
      type: 'message',
      id: `msg_${id}`,
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
    })
  }
  for (const [index, call] of (reply.toolCalls ?? []).entries()) {
    output.push({
      type: 'function_call',
      id: `fc_${id}_${index}`,
      call_id: call.id ?? `call_${id}_${index}`,
      name: call.name,
      arguments: call.arguments,
      status: 'completed',
    })
  }
  return output
}

function response(
  id: number,
  request: RecordedRequest,
  text: string,
  reply: ScriptedReply,
  usage?: ScriptedUsage,
  status = 'completed',
) {
  return {
    id: `resp_${id}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    error: null,
    incomplete_details: null,
    instructions: request.body?.instructions ?? null,
    max_output_tokens: request.body?.max_output_tokens ?? null,
    model: request.body?.model ?? 'unknown',
    output: status === 'completed' ? responseOutput(id, text, reply) : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    temperature: 1,
    text: request.body?.text ?? { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: request.body?.tools ?? [],
    top_p: 1,
    truncation: 'disabled',
    usage: usage && status === 'completed' ? responsesUsage(usage) : null,
    metadata: {},
  }
}

function* responseEvents(
  id: number,
  request: RecordedRequest,
  text: string,
  deltas: string[],
  reply: ScriptedReply,
  usage?: ScriptedUsage,
): Generator<SseEvent> {
  let sequence = 0
  const event = (type: string, payload: object): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...payload })}\n\n`
  yield {
    data: event('response.created', { response: response(id, request, text, reply, usage, 'in_progress') }),
  }
  const itemId = `msg_${id}`
  if (text.length > 0) {
    yield {
      data: event('response.output_item.added', {
        output_index: 0,
        item: { type: 'message', id: itemId, status: 'in_progress', role: 'assistant', content: [] },
      }),
    }
    yield {
      data: event('response.content_part.added', {
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      }),
    }
    for (const delta of deltas) {
      yield {
        data: event('response.output_text.delta', {
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          delta,
          logprobs: [],
        }),
        isDelta: true,
      }
    }
    yield {
      data: event('response.output_text.done', {
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        text,
        logprobs: [],
      }),
    }
    yield {
      data: event('response.content_part.done', {
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        part: { type: 'output_text', text, annotations: [], logprobs: [] },
      }),
    }
  }
  const output = responseOutput(id, text, reply)
  for (const [index, item] of output.entries()) {
    if ((item as { type: string }).type === 'message') {
      yield { data: event('response.output_item.done', { output_index: index, item }) }
      continue
    }
    yield {
      data: event('response.output_item.added', {
        output_index: index,
        item: { ...item, arguments: '', status: 'in_progress' },
      }),
    }
    const call = item as { id: string; arguments: string }
    yield {
      data: event('response.function_call_arguments.delta', {
        item_id: call.id,
        output_index: index,
        delta: call.arguments,
      }),
      isDelta: true,
    }
    yield {
      data: event('response.function_call_arguments.done', {
        item_id: call.id,
        output_index: index,
        arguments: call.arguments,
      }),
    }
    yield { data: event('response.output_item.done', { output_index: index, item }) }
  }
  yield {
    data: event('response.completed', { response: response(id, request, text, reply, usage) }),
    usage: true,
  }
}
