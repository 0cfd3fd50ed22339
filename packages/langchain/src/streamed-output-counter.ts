import type { TokenEstimator } from '@tokenwarden/core'

/** Characters buffered before they are counted, so per-chunk rounding does not inflate the estimate. */
const batchSize = 64

/**
 * Estimates the output tokens of a stream as its chunks arrive, without keeping the text: chunks are
 * counted in batches of ~64 characters.
 *
 * @example
 * const counter = new StreamedOutputCounter(budget.estimator)
 * counter.add('Hello')
 * counter.tokens // 2
 */
export class StreamedOutputCounter {
  private counted = 0
  private pending = ''
  private chunkCount = 0

  private readonly estimator: TokenEstimator

  constructor(estimator: TokenEstimator) {
    this.estimator = estimator
  }

  /** Adds one streamed chunk of text. */
  add(text: string): void {
    this.chunkCount++
    if (text.length === 0) return
    this.pending += text
    if (this.pending.length >= batchSize) {
      this.counted += this.estimator.count(this.pending)
      this.pending = ''
    }
  }

  /** Chunks received so far. */
  get chunks(): number {
    return this.chunkCount
  }

  /** Estimated output tokens so far. */
  get tokens(): number {
    return this.counted + (this.pending.length === 0 ? 0 : this.estimator.count(this.pending))
  }
}
