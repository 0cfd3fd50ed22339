import type OpenAI from 'openai'

/** What the SDK hands to a response parser (`APIResponseProps`, not exported by `openai`). */
export interface ResponseProps {
  response: Response
  options: { stream?: boolean | undefined; [key: string]: unknown }
  controller: AbortController
}

/** Turns the HTTP response of a call into the value the caller receives. */
export type ResponseParser = (client: OpenAI, props: ResponseProps) => Promise<unknown>

/**
 * The two halves of an `APIPromise`: the HTTP response of the call (resolved when the headers arrive,
 * after retries) and the parser that produces the caller's value. The SDK keeps them as TypeScript-private
 * fields; the wrapper needs them to see the response before the caller reads its body.
 *
 * @example
 * const { responsePromise, parseResponse } = apiPromiseParts(client.request(options))
 */
export function apiPromiseParts(promise: unknown): {
  responsePromise: Promise<ResponseProps>
  parseResponse: ResponseParser
} {
  const parts = promise as { responsePromise?: unknown; parseResponse?: unknown }
  if (typeof (parts.responsePromise as Promise<unknown>)?.then !== 'function') {
    throw new TypeError(
      '[tokenwarden] [openai] unsupported openai version: APIPromise has no responsePromise',
    )
  }
  if (typeof parts.parseResponse !== 'function') {
    throw new TypeError('[tokenwarden] [openai] unsupported openai version: APIPromise has no parseResponse')
  }
  return {
    responsePromise: parts.responsePromise as Promise<ResponseProps>,
    parseResponse: parts.parseResponse as ResponseParser,
  }
}
