import type { APIPromise } from 'openai'

/** The parts of an `APIPromise` this module relies on (TypeScript-private in the SDK). */
interface PromiseInternals {
  responsePromise: Promise<{ response: Response }>
  parsedPromise?: unknown
  asResponse(): Promise<Response>
  _thenUnwrap(transform: unknown): unknown
}

/**
 * Makes the raw response of a budgeted JSON call countable: `asResponse()` (also through `withResponse()`
 * and on the promises `_thenUnwrap` derives, such as `responses.create`'s) calls `countCopy` before the
 * caller gets the response, so the body can still be copied and counted when nobody parses it. Returns
 * `isParsing`, true once the caller asked any promise of the call for its parsed value.
 *
 * @example
 * const isParsing = countRawResponses(promise, countCopy)
 */
export function countRawResponses(promise: APIPromise<unknown>, countCopy: () => void): () => boolean {
  const family: PromiseInternals[] = []
  const instrument = (target: PromiseInternals) => {
    family.push(target)
    target.asResponse = () =>
      target.responsePromise.then((props) => {
        countCopy()
        return props.response
      })
    const unwrap = target._thenUnwrap
    if (typeof unwrap === 'function')
      target._thenUnwrap = (transform) => instrument(unwrap.call(target, transform) as PromiseInternals)
    return target
  }
  instrument(promise as unknown as PromiseInternals)
  return () => {
    for (const member of family) if (member.parsedPromise !== undefined) return true
    return false
  }
}
