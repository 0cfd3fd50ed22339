/**
 * A `fetch` for collection tests: it answers with the real `fetch`'s response read into memory (so only
 * references keep its body alive, no socket does) and remembers the last response's body weakly.
 *
 * @example
 * import { inMemoryBodies, isCollected } from '@tokenwarden/core/testing'
 * const bodies = inMemoryBodies()
 * const client = withBudget(new OpenAI({ baseURL: server.url, fetch: bodies.fetch }), { budget })
 * // … a call whose response is dropped unread …
 * expect(await isCollected(bodies.last())).toBe(true)
 */
export function inMemoryBodies(): {
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>
  /** The body of the last response answered; throws before the first. */
  last(): WeakRef<object>
} {
  let body: WeakRef<object> | undefined
  return {
    async fetch(input, init) {
      const answer = await fetch(input, init)
      const response = new Response(await answer.arrayBuffer(), answer)
      body = new WeakRef(response.body as object)
      return response
    },
    last() {
      if (body === undefined) throw new Error('no response was answered yet')
      return body
    },
  }
}
