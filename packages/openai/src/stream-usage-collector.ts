import type { TokenUsage } from '@tokenwarden/core'
import type { Endpoint } from './endpoint-of.ts'
import { tokenUsageFrom } from './token-usage-from.ts'

const finalResponseEvents = new Set(['response.completed', 'response.incomplete', 'response.failed'])

/**
 * Watches the events of a chat or responses stream: keeps the usage the stream reports (chat: the
 * usage-only chunk; responses: `response.completed`, `.incomplete` or `.failed`) and the length of the
 * generated text, to estimate the output of a stream that ends without usage. No text is kept.
 *
 * @example
 * const collector = new StreamUsageCollector('chat', budget.estimator)
 * for await (const chunk of stream) collector.add(chunk)
 * await reservation.settle(collector.usage(reservation.inputTokens))
 */
export class StreamUsageCollector {
  /** The usage object the stream reported, if it got that far (unchecked until `usage`). */
  private reported: unknown
  private outputTokens = 0

  private readonly endpoint: Endpoint
  private readonly estimator: { count(text: string): number }

  constructor(endpoint: Endpoint, estimator: { count(text: string): number }) {
    this.endpoint = endpoint
    this.estimator = estimator
  }

  add(event: unknown): void {
    if (event === null || typeof event !== 'object') return
    const item = event as Record<string, any>
    if (this.endpoint === 'chat') {
      if (item.usage != null) this.reported = item.usage
      if (!Array.isArray(item.choices)) return
      for (const choice of item.choices) {
        const delta = choice?.delta
        if (delta == null) continue
        this.count(delta.content)
        this.count(delta.refusal)
        this.count(delta.reasoning_content)
        if (Array.isArray(delta.tool_calls)) {
          for (const call of delta.tool_calls) {
            this.count(call?.function?.name)
            this.count(call?.function?.arguments)
          }
        }
      }
      return
    }
    const type = typeof item.type === 'string' ? item.type : ''
    if (finalResponseEvents.has(type)) {
      if (item.response?.usage != null) this.reported = item.response.usage
    } else if (/(text|arguments|refusal|input)\.delta$/.test(type)) {
      this.count(item.delta)
    }
  }

  /**
   * The usage to settle: what the stream reported, through `tokenUsageFrom`; what it did not report (or
   * reported unusably) is estimated: `inputTokens`, and the output counted from the deltas.
   */
  usage(inputTokens: number): TokenUsage {
    return tokenUsageFrom(this.endpoint, this.reported, { inputTokens, outputTokens: this.outputTokens })
  }

  private count(text: unknown): void {
    if (typeof text === 'string' && text.length > 0) this.outputTokens += this.estimator.count(text)
  }
}
