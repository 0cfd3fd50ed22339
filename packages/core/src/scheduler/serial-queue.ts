/**
 * Runs async operations one at a time, in call order. A failed operation rejects its own promise only:
 * the next one still runs.
 *
 * @example
 * const queue = new SerialQueue()
 * await Promise.all([queue.run(() => grant('a')), queue.run(() => grant('b'))]) // 'b' starts after 'a' ends
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.tail.then(operation)
    this.tail = result.catch(() => undefined)
    return result
  }
}
