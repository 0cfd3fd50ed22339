import type { RecordedRequest, ScriptedReply, ScriptedUsage } from './scripted-reply.ts'

/**
 * One event of a server-sent event stream, already serialized.
 *
 * @example
 * const event: SseEvent = { data: `data: ${JSON.stringify(chunk)}\n\n`, isDelta: true }
 */
export interface SseEvent {
  data: string
  /** A text or tool-call delta (counted by `cutAfterChunks`). */
  isDelta?: boolean
  /** The event that tells the client the usage. */
  usage?: boolean
}

/**
 * What a route answers from: the request, the reply chosen for it and the usage to report.
 *
 * @example
 * const json = ({ id, text, usage }: RouteReply) => ({ id: `msg_${id}`, text, tokens: usage?.outputTokens })
 */
export interface RouteReply {
  /** A number unique to this reply on this server (for ids such as `chatcmpl-3`). */
  id: number
  request: RecordedRequest
  reply: ScriptedReply
  /** The assistant text (`reply.text`, or 'ok'). */
  text: string
  /** The text split into stream deltas. */
  deltas: string[]
  usage: ScriptedUsage | undefined
}

/**
 * One family of provider endpoints the server answers (e.g. OpenAI chat completions). A route turns a
 * scripted reply into the provider's JSON body and, when it can stream, its SSE events. One file per
 * route family under `routes/`; `startOpenAITestServer` tries them in order.
 *
 * @example
 * const route: TestServerRoute = {
 *   kind: 'embeddings',
 *   matches: (path) => path.endsWith('/embeddings'),
 *   json: ({ request, usage }) => ({ object: 'list', data: [], model: request.body?.model }),
 * }
 */
export interface TestServerRoute {
  kind: Exclude<RecordedRequest['kind'], 'other'>
  matches(path: string): boolean
  /** The whole-response body. */
  json(context: RouteReply): object
  /** The stream's events; routes without streaming leave it out. */
  events?(context: RouteReply): Iterable<SseEvent>
  /** The body of a scripted error status, in the provider's format. @default an OpenAI error body */
  errorBody?(status: number): object
  /** The usage the client is told, when it differs from the scripted usage (embeddings: no output). */
  reportedUsage?(usage: ScriptedUsage): ScriptedUsage
}
