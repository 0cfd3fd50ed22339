import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readBody, recordRequest, requestPath } from './record-request.ts'
import { anthropicMessagesRoute } from './routes/anthropic-messages-route.ts'
import { chatCompletionsRoute } from './routes/chat-completions-route.ts'
import { embeddingsRoute } from './routes/embeddings-route.ts'
import { responsesRoute } from './routes/responses-route.ts'
import type { RecordedRequest, Responder, ScriptedReply, ScriptedUsage } from './scripted-reply.ts'
import { defaultUsage, splitText } from './split-text.ts'
import type { TestServerRoute } from './test-server-route.ts'

/**
 * Options of {@link startOpenAITestServer}.
 *
 * @example
 * await startOpenAITestServer({ routes: [chatCompletionsRoute], respond: () => ({ text: 'Hi' }) })
 */
export interface OpenAITestServerOptions {
  /** Decides replies when the queue is empty. @default every request gets `{}` (text 'ok', estimated usage) */
  respond?: Responder
  /** The endpoint families to answer, tried in order. @default chat completions, responses, embeddings, Anthropic messages */
  routes?: readonly TestServerRoute[]
  /** The port on 127.0.0.1. @default 0 (a free port) */
  port?: number
}

/**
 * A running server: its URL, the request log, the usage it reported, and the script.
 *
 * @example
 * const server = await startOpenAITestServer()
 * server.enqueue({ text: 'Hello!', usage: { inputTokens: 12, outputTokens: 3 } })
 * // … run the code under test against server.url …
 * expect(server.totals()).toMatchObject({ inputTokens: 12, outputTokens: 3, requests: 1 })
 * await server.close()
 */
export interface OpenAITestServer {
  /** Base URL for OpenAI-style clients, ending in `/v1`. */
  url: string
  /** The server's origin (`http://127.0.0.1:port`), the base URL for clients whose paths start with `/v1` (Anthropic). */
  origin: string
  /** Every request received, in order (credential headers redacted). */
  requests: RecordedRequest[]
  /** The usage of every reply that reported usage, in order (what the client was told). */
  sentUsage: (ScriptedUsage & { kind: RecordedRequest['kind'] })[]
  /** Queues replies for the next model requests (used before the responder). */
  enqueue(...replies: ScriptedReply[]): void
  /** Replaces the responder used when the queue is empty. */
  respondWith(responder: Responder): void
  /** Sums of `sentUsage`, and how many replies reported usage. */
  totals(): Required<ScriptedUsage> & { requests: number }
  /** Clears recorded requests, usage and queued replies. */
  reset(): void
  /** Stops the server, closing open connections. */
  close(): Promise<void>
}

const defaultRoutes: readonly TestServerRoute[] = [
  chatCompletionsRoute,
  responsesRoute,
  embeddingsRoute,
  anthropicMessagesRoute,
]

/**
 * Starts a scripted OpenAI-compatible server on 127.0.0.1: `POST /v1/chat/completions`, `/v1/responses`
 * and `/v1/embeddings`, and Anthropic's `POST /v1/messages` (for a client with `baseURL: server.origin`),
 * as JSON or server-sent events, with usage that includes cached and reasoning
 * tokens, error statuses, and streams that can be cut mid-way. Replies come from `enqueue`, else from
 * the responder. It records every request, with credential headers redacted. Unknown paths get a 404.
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
  routes = defaultRoutes,
  port = 0,
}: OpenAITestServerOptions = {}): Promise<OpenAITestServer> {
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
    const path = requestPath(req)
    const route = routes.find((candidate) => candidate.matches(path))
    const request = recordRequest(req, raw, route?.kind ?? 'other')
    requests.push(request)
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { message: `no route for ${path}`, type: 'invalid_request_error' } }))
      return
    }
    const reply = queue.length > 0 ? queue.shift()! : await responder(request)
    if (reply.status !== undefined && reply.status >= 400) {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
      const body = route.errorBody?.(reply.status) ?? {
        error: { message: `scripted ${reply.status}`, type: 'server_error', code: null },
      }
      res.end(JSON.stringify(body))
      return
    }
    const usage = reply.omitUsage ? undefined : (reply.usage ?? defaultUsage(request, reply))
    const text = reply.text ?? (reply.toolCalls?.length ? '' : 'ok')
    const context = { id: ++sequence, request, reply, text, deltas: splitText(text, reply.chunks), usage }
    const reported = usage && { ...(route.reportedUsage?.(usage) ?? usage), kind: route.kind }
    if (!request.stream || route.events === undefined) {
      if (reported) sentUsage.push(reported)
      res.writeHead(200, { 'content-type': 'application/json', ...reply.headers })
      res.end(JSON.stringify(route.json(context)))
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers })
    res.flushHeaders()
    let textDeltas = 0
    for (const event of route.events(context)) {
      if (event.isDelta) {
        if (reply.cutAfterChunks !== undefined && textDeltas >= reply.cutAfterChunks) {
          // Let the client read what was sent, then drop the connection mid-stream.
          await new Promise((resolve) => setTimeout(resolve, 25))
          res.destroy()
          return
        }
        textDeltas++
      }
      if (event.usage && reported) sentUsage.push(reported)
      await new Promise((resolve) => res.write(event.data, resolve))
      if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs))
      if (res.destroyed) return
    }
    res.end()
  }

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const address = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${address.port}/v1`,
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    sentUsage,
    enqueue: (...replies) => {
      queue.push(...replies)
    },
    respondWith: (next) => {
      responder = next
    },
    totals: () => sumUsage(sentUsage),
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

function sumUsage(sentUsage: readonly ScriptedUsage[]): Required<ScriptedUsage> & { requests: number } {
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
}
