// A stand-in for the Stainless SDKs' mock server (Steady on the OpenAPI spec, which is downloaded, so it
// cannot run offline) for their generated `tests/api-resources` smoke tests: every request gets 200 and
// one message-shaped JSON body (also a page: `data`, `has_more`), a `stream: true` body gets the event
// stream of that message, `/_stainless_unknown_path` gets 404. It checks nothing the request says, so
// the tests that need the spec's exact answers fail with and without the wrapper alike.
// Usage: node scripts/framework-suites/stainless-mock-server.ts 4010   (then TEST_API_BASE_URL=http://127.0.0.1:4010)
import { createServer } from 'node:http'

const port = Number(process.argv[2] ?? 4010)
const usage = {
  input_tokens: 10,
  output_tokens: 5,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
}
const message = {
  id: 'msg_mock',
  type: 'message',
  role: 'assistant',
  model: 'claude-mock',
  content: [{ type: 'text', text: 'Hello', citations: null }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  container: null,
  usage,
}
const event = (type: string, payload: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`
const events = [
  event('message_start', {
    message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
  }),
  event('content_block_start', { index: 0, content_block: { type: 'text', text: '', citations: null } }),
  event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
  event('content_block_stop', { index: 0 }),
  event('message_delta', {
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 5 },
  }),
  event('message_stop', {}),
].join('')

createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    if (request.url?.includes('_stainless_unknown_path')) {
      response.writeHead(404, { 'content-type': 'application/json' })
      response.end(
        JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'Not found' } }),
      )
      return
    }
    let stream = false
    try {
      stream = JSON.parse(Buffer.concat(chunks).toString('utf8'))?.stream === true
    } catch {}
    if (stream) {
      response.writeHead(200, { 'content-type': 'text/event-stream' })
      response.end(events)
      return
    }
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ ...message, data: [], has_more: false, first_id: null, last_id: null }))
  })
}).listen(port, '127.0.0.1', () => console.log(`stainless mock on http://127.0.0.1:${port}`))
