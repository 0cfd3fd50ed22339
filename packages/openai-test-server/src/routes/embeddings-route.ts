import type { TestServerRoute } from '../test-server-route.ts'

/**
 * `POST /v1/embeddings`: one small vector per input (`[0.1 × (index + 1), 0.2, 0.3]`), as floats or
 * base64 (`encoding_format: 'base64'`), with input-only usage. Embeddings do not stream.
 *
 * @example
 * const server = await startOpenAITestServer({ routes: [embeddingsRoute] })
 */
export const embeddingsRoute: TestServerRoute = {
  kind: 'embeddings',
  matches: (path) => path.endsWith('/embeddings'),
  json: ({ request, usage }) => {
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
    return {
      object: 'list',
      data,
      model: request.body?.model,
      usage: usage ? { prompt_tokens: usage.inputTokens, total_tokens: usage.inputTokens } : undefined,
    }
  },
  reportedUsage: (usage) => ({ ...usage, outputTokens: 0 }),
}
