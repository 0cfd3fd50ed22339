/**
 * Usage the server reports for one reply, in OpenAI's conventions: `inputTokens` includes the cached
 * tokens, `outputTokens` includes the reasoning tokens.
 *
 * @example
 * server.enqueue({ text: 'Hi!', usage: { inputTokens: 12, outputTokens: 3, cachedTokens: 4 } })
 */
export interface ScriptedUsage {
  inputTokens: number
  outputTokens: number
  cachedTokens?: number
  cacheWriteTokens?: number
  reasoningTokens?: number
}

/**
 * What the server answers to one model request: text, tool calls, usage, an error status, or a stream
 * that is cut mid-way.
 *
 * @example
 * server.enqueue(
 *   { text: 'First answer', usage: { inputTokens: 900, outputTokens: 120 } },
 *   { status: 429 },
 *   { text: 'a b c d', cutAfterChunks: 2 },
 * )
 */
export interface ScriptedReply {
  /** Assistant text. @default 'ok' (no text when only tool calls are given) */
  text?: string
  /** Tool calls the assistant makes. */
  toolCalls?: { id?: string; name: string; arguments: string }[]
  /** Reported usage. @default input ≈ request size / 4, output = number of text chunks */
  usage?: ScriptedUsage
  /** Answer with this HTTP error status (e.g. 429, 500) and the provider's error body instead. */
  status?: number
  /** Extra response headers. */
  headers?: Record<string, string>
  /** Streams: how many deltas the text is split into. @default one per word */
  chunks?: number
  /** Streams: close the connection after this many text deltas, before the final and usage events. */
  cutAfterChunks?: number
  /** Streams: wait this long between events, in ms. @default 0 */
  delayMs?: number
  /** Report no usage at all. */
  omitUsage?: boolean
  /** @default 'tool_calls' with tool calls, else 'stop' */
  finishReason?: string
}

/**
 * A request the server received. Credential headers (`authorization`, `x-api-key`, `api-key`, …) are
 * recorded as `'[redacted]'`: a test can check a key was sent, never read it.
 *
 * @example
 * const last = server.requests.at(-1)!
 * expect(last.body.max_tokens).toBe(800)
 * expect(last.headers.authorization).toBe('[redacted]')
 */
export interface RecordedRequest {
  kind: 'chat' | 'responses' | 'embeddings' | 'messages' | 'other'
  method: string
  path: string
  headers: Record<string, string>
  body: any
  /** The body exactly as received (UTF-8 text), to compare what two clients sent byte for byte. */
  rawBody: string
  /** The query string without `?` (e.g. `api-version=2024-10-21`), `''` when none. */
  query: string
  stream: boolean
}

/**
 * Decides the reply to a request when no queued reply is left; may be async.
 *
 * @example
 * server.respondWith((request) => ({ text: request.stream ? 'streamed' : 'whole' }))
 */
export type Responder = (request: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>
