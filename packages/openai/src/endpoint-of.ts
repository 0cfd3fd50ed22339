/** The budgeted OpenAI endpoints. */
export type Endpoint = 'chat' | 'responses' | 'embeddings'

const endpoints: Record<string, Endpoint> = {
  '/chat/completions': 'chat',
  '/responses': 'responses',
  '/embeddings': 'embeddings',
}

/**
 * The budgeted endpoint a request goes to, or `undefined` for every other request (files, lists,
 * retrievals, multipart uploads), which passes through untouched.
 *
 * @example
 * endpointOf({ method: 'post', path: '/chat/completions', body: { model: 'gpt-4o', messages } }) // 'chat'
 */
export function endpointOf(options: { method: string; path: string; body?: unknown }): Endpoint | undefined {
  if (options.method !== 'post') return undefined
  const endpoint = endpoints[options.path]
  if (endpoint === undefined || !isPlainObject(options.body)) return undefined
  return endpoint
}

/** True for `{ … }` literals (not FormData, streams, buffers or class instances). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}
