import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Usage the server reports for one reply (OpenAI conventions: input includes cached, output includes reasoning). */
export interface ScriptedUsage {
  inputTokens: number
  outputTokens: number
  cachedTokens?: number
  cacheWriteTokens?: number
  reasoningTokens?: number
}

/** What the server answers to one model request. */
export interface ScriptedReply {
  /** Assistant text. @default 'ok' (no text when only tool calls are given) */
  text?: string
  /** Tool calls the assistant makes. */
  toolCalls?: { id?: string; name: string; arguments: string }[]
  /** Reported usage. @default input ≈ request size / 4, output = number of text chunks */
  usage?: ScriptedUsage
  /** Answer with this HTTP error status (e.g. 429, 500) and an OpenAI error body instead. */
  status?: number
  headers?: Record<string, string>
  /** Streams: how many deltas the text is split into. @default one per word */
  chunks?: number
  /** Streams: close the connection after this many text deltas, before the final and usage events. */
  cutAfterChunks?: number
  /** Streams: wait this long between events. @default 0 */
  delayMs?: number
  /** Report no usage at all. */
  omitUsage?: boolean
  finishReason?: string
}

/** A request the server received (the Authorization header is never recorded). */
export interface RecordedRequest {
  kind: 'chat' | 'responses' | 'embeddings' | 'other'
  method: string
  path: string
  headers: Record<string, string>
  body: any
  stream: boolean
}

/** Decides the reply to a request; may be async. */
export type Responder = (request: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>

/** A running server. */
export interface OpenAITestServer {
  /** Base URL for clients, ending in `/v1`. */
  url: string
  /** Every request received, in order. */
  requests: RecordedRequest[]
  /** The usage of every reply that reported usage, in order (what the client was told). */
  sentUsage: (ScriptedUsage & { kind: RecordedRequest['kind'] })[]
  /** Queues replies for the next model requests (before the responder). */
  enqueue(...replies: ScriptedReply[]): void
  /** Replaces the responder used when the queue is empty. */
  respondWith(responder: Responder): void
  /** Sums of `sentUsage`. */
  totals(): Required<ScriptedUsage> & { requests: number }
  /** Clears recorded requests and usage. */
  reset(): void
  close(): Promise<void>
}

/**
 * Starts a scripted OpenAI-compatible server on 127.0.0.1 (a free port): `POST /v1/chat/completions`,
 * `/v1/responses` and `/v1/embeddings`, as JSON or server-sent events, with usage that includes cached
 * and reasoning tokens, error statuses, and streams that can be cut mid-way. It records every request.
 *
 * @example
 * const server = await startOpenAITestServer()
 * server.enqueue({ text: 'Hello!', usage: { inputTokens: 12, outputTokens: 3, cachedTokens: 4 } })
 * const client = new OpenAI({ apiKey: 'test', baseURL: server.url })
 * await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] })
 * await server.close()
 */
export async function startOpenAITestServer({
  respond,
}: {
  respond?: Responder
} = {}): Promise<OpenAITestServer> {
  const requests: RecordedRequest[] = []
  const sentUsage: OpenAITestServer['sentUsage'] = []
  const queue: ScriptedReply[] = []
  let responder: Responder = respond ?? (() => ({}))
  let sequence = 0

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { message: String(error), type: 'server_error' } }))
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req)
    let body: any
    try {
      body = raw.length === 0 ? undefined : JSON.parse(raw)
    } catch {
      body = raw
    }
    const path = (req.url ?? '/').split('?')[0]!
    const kind: RecordedRequest['kind'] = path.endsWith('/chat/completions')
      ? 'chat'
      : path.endsWith('/responses')
        ? 'responses'
        : path.endsWith('/embeddings')
          ? 'embeddings'
          : 'other'
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (name !== 'authorization' && typeof value === 'string') headers[name] = value
    }
    const request: RecordedRequest = {
      kind,
      method: req.method ?? 'GET',
      path,
      headers,
      body,
      stream: body?.stream === true,
    }
    requests.push(request)
    if (kind === 'other') {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { message: `no route for ${path}`, type: 'invalid_request_error' } }))
      return
    }
    const reply = queue.length > 0 ? queue.shift()! : await responder(request)
    if (reply.status !== undefined && reply.status >= 400) {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
      res.end(
        JSON.stringify({ error: { message: `scripted ${reply.status}`, type: 'server_error', code: null } }),
      )
      return
    }
    const id = ++sequence
    const usage = reply.omitUsage ? undefined : (reply.usage ?? defaultUsage(request, reply))
    if (kind === 'embeddings') return sendEmbeddings(res, request, usage, reply)
    const text = reply.text ?? (reply.toolCalls?.length ? '' : 'ok')
    const deltas = split(text, reply.chunks)
    if (!request.stream) {
      if (usage) sentUsage.push({ ...usage, kind })
      const json =
        kind === 'chat'
          ? chatCompletion(id, request, text, reply, usage)
          : response(id, request, text, reply, usage)
      res.writeHead(200, { 'content-type': 'application/json', ...reply.headers })
      res.end(JSON.stringify(json))
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers })
    res.flushHeaders()
    const events =
      kind === 'chat'
        ? chatEvents(id, request, deltas, reply, usage)
        : responseEvents(id, request, text, deltas, reply, usage)
    let textDeltas = 0
    for (const event of events) {
      if (event.isDelta) {
        if (reply.cutAfterChunks !== undefined && textDeltas >= reply.cutAfterChunks) {
          // Let the client read what was sent, then drop the connection mid-stream.
          await new Promise((resolve) => setTimeout(resolve, 25))
          res.destroy()
          return
        }
        textDeltas++
      }
      if (event.usage && usage) sentUsage.push({ ...usage, kind })
      await new Promise((resolve) => res.write(event.data, resolve))
      if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs))
      if (res.destroyed) return
    }
    res.end()
  }

  function sendEmbeddings(
    res: ServerResponse,
    request: RecordedRequest,
    usage: ScriptedUsage | undefined,
    reply: ScriptedReply,
  ) {
    const inputs: unknown[] = Array.isArray(request.body?.input) ? request.body.input : [request.body?.input]
    const base64 = request.body?.encoding_format === 'base64'
    const data = inputs.map((_, index) => {
      const vector = new Float32Array([0.1 * (index + 1), 0.2, 0.3])
      return {
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector),
      }
    })
    if (usage) sentUsage.push({ ...usage, outputTokens: 0, kind: 'embeddings' })
    res.writeHead(200, { 'content-type': 'application/json', ...reply.headers })
    res.end(
      JSON.stringify({
        object: 'list',
        data,
        model: request.body?.model,
        usage: usage ? { prompt_tokens: usage.inputTokens, total_tokens: usage.inputTokens } : undefined,
      }),
    )
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    sentUsage,
    enqueue: (...replies) => {
      queue.push(...replies)
    },
    respondWith: (next) => {
      responder = next
    },
    totals() {
      const totals = {
        inputTokens: 0,
        outputTokens: 0,
        cachedTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
        requests: 0,
      }
      for (const usage of sentUsage) {
        totals.inputTokens += usage.inputTokens
        totals.outputTokens += usage.outputTokens
        totals.cachedTokens += usage.cachedTokens ?? 0
        totals.cacheWriteTokens += usage.cacheWriteTokens ?? 0
        totals.reasoningTokens += usage.reasoningTokens ?? 0
        totals.requests++
      }
      return totals
    },
    reset() {
      requests.length = 0
      sentUsage.length = 0
      queue.length = 0
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function defaultUsage(request: RecordedRequest, reply: ScriptedReply): ScriptedUsage {
  const size = JSON.stringify(request.body?.messages ?? request.body?.input ?? '').length
  const text = reply.text ?? ''
  return {
    inputTokens: Math.max(1, Math.ceil(size / 4)),
    outputTokens: Math.max(1, split(text, reply.chunks).length),
  }
}

function split(text: string, chunks: number | undefined): string[] {
  if (text.length === 0) return []
  if (chunks === undefined) return text.match(/\S+\s*|\s+/g) ?? [text]
  const size = Math.ceil(text.length / chunks)
  const parts: string[] = []
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size))
  return parts
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

interface SseEvent {
  data: string
  isDelta?: boolean
  usage?: boolean
}

function* chatEvents(
  id: number,
  request: RecordedRequest,
  deltas: string[],
  reply: ScriptedReply,
  usage?: ScriptedUsage,
) {
  const base = {
    id: `chatcmpl-${id}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: request.body?.model ?? 'unknown',
  }
  const event = (payload: object): string => `data: ${JSON.stringify({ ...base, ...payload })}\n\n`
  yield {
    data: event({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }),
  } as SseEvent
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
