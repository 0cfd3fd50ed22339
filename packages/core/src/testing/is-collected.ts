import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

let gc: (() => void) | undefined

/** Node's `gc()`, exposed for this process without the `--expose-gc` flag. */
function collectGarbage(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
    setFlagsFromString('--no-expose-gc')
  }
  gc()
}

/**
 * Whether the object behind `ref` is collected within a few full collections (each in a later task, as
 * `WeakRef`s need): for tests that an adapter keeps nothing alive that the caller dropped, such as the
 * body of a response nobody finished reading.
 *
 * @example
 * import { isCollected } from '@tokenwarden/core/testing'
 * expect(await isCollected(new WeakRef(response.body))).toBe(true)
 */
export async function isCollected(ref: WeakRef<object>): Promise<boolean> {
  for (let round = 0; round < 10 && ref.deref() !== undefined; round++) {
    await new Promise((resolve) => setImmediate(resolve))
    collectGarbage()
  }
  return ref.deref() === undefined
}
