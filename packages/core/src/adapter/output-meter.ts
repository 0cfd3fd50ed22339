import type { TokenEstimator } from '../estimation/token-estimator.ts'

/** Characters buffered before they are counted (counting each small delta apart would overestimate). */
const batchCharacters = 256

/**
 * A running estimate of the tokens a model produced, from its streamed text, reasoning and tool-input
 * deltas. Counts in batches so the total stays close to counting the whole text at once, in linear time.
 */
export class OutputMeter {
  private counted = 0
  private pending = ''
  private readonly estimator: TokenEstimator

  constructor(estimator: TokenEstimator) {
    this.estimator = estimator
  }

  add(text: string): void {
    this.pending += text
    if (this.pending.length >= batchCharacters) {
      this.counted += this.estimator.count(this.pending)
      this.pending = ''
    }
  }

  get tokens(): number {
    return this.counted + (this.pending.length === 0 ? 0 : this.estimator.count(this.pending))
  }
}
