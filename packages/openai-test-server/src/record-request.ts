import type { IncomingMessage } from 'node:http'
import type { RecordedRequest } from './scripted-reply.ts'

/** Headers that carry credentials: recorded as `'[redacted]'`, never as sent. */
const credentialHeaders = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'openai-api-key',
  'cookie',
])

/**
 * The record of one request: its route kind, path without query, headers with credentials redacted,
 * and its parsed JSON body (the raw text when it is not JSON).
 *
 * @example
 * const request = recordRequest(req, await readBody(req), 'chat')
 */
export function recordRequest(
  req: IncomingMessage,
  raw: string,
  kind: RecordedRequest['kind'],
): RecordedRequest {
  let body: any
  try {
    body = raw.length === 0 ? undefined : JSON.parse(raw)
  } catch {
    body = raw
  }
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    headers[name] = credentialHeaders.has(name)
      ? '[redacted]'
      : Array.isArray(value)
        ? value.join(', ')
        : value
  }
  return {
    kind,
    method: req.method ?? 'GET',
    path: requestPath(req),
    headers,
    body,
    rawBody: raw,
    query: (req.url ?? '').split('?')[1] ?? '',
    stream: body?.stream === true,
  }
}

/**
 * The path of a request without its query string.
 *
 * @example
 * requestPath(req) // '/v1/chat/completions'
 */
export function requestPath(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0]!
}

/**
 * Reads a request body as UTF-8 text.
 *
 * @example
 * const raw = await readBody(req)
 */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}
