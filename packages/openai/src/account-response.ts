import type { TokenUsage } from '@tokenwarden/core'
import { Stream } from 'openai/streaming'
import type { ResponseProps } from './api-promise-parts.ts'
import type { BudgetedCall, CallSettings } from './plan-call.ts'
import { StreamUsageCollector } from './stream-usage-collector.ts'
import { tokenUsageFrom } from './token-usage-from.ts'

/**
 * Settles a call from its HTTP response. Reads a copy of the body, so it works whatever the caller does
 * with the response (awaits it, iterates or abandons a stream, reads it raw with `asResponse()`). A
 * response without usage, or a stream that was cut or left early, is settled from what arrived
 * (estimated input, output counted from the text received) and marked `estimated`. Never rejects: a
 * failed settle goes to `settings.onError`.
 *
 * @example
 * const settled = accountResponse(props, call, settings)
 */
export function accountResponse(
  props: ResponseProps,
  call: BudgetedCall,
  settings: CallSettings,
): Promise<void> {
  const copy = props.response.clone()
  const usage = call.stream
    ? streamUsage(copy, props.controller.signal, call, settings)
    : jsonUsage(copy, call, settings)
  return usage.then((value) => call.reservation.settle(value)).then(() => undefined, settings.onError)
}

/**
 * The usage of a JSON call from the value the SDK parsed for the caller (no second read or parse of the
 * body): its reported usage, else an estimate from its choices or output. `value` is `undefined` when
 * the body could not be parsed (nothing is known of the output).
 *
 * @example
 * const completion = await parseResponse(client, props)
 * await call.reservation.settle(usageOfParsedResponse(completion, call, settings))
 */
export function usageOfParsedResponse(
  value: unknown,
  call: BudgetedCall,
  settings: CallSettings,
): TokenUsage {
  try {
    return usageOfJson(typeof value === 'string' ? JSON.parse(value) : value, call, settings)
  } catch {
    return { inputTokens: call.reservation.inputTokens, outputTokens: 0, estimated: true }
  }
}

async function jsonUsage(copy: Response, call: BudgetedCall, settings: CallSettings): Promise<TokenUsage> {
  try {
    return usageOfJson(JSON.parse(await copy.text()), call, settings)
  } catch {
    return { inputTokens: call.reservation.inputTokens, outputTokens: 0, estimated: true }
  }
}

function usageOfJson(json: Record<string, unknown> | undefined, call: BudgetedCall, settings: CallSettings) {
  return tokenUsageFrom(call.endpoint, json?.usage, () => {
    const output = call.endpoint === 'embeddings' ? undefined : (json?.choices ?? json?.output)
    const outputTokens = output == null ? 0 : settings.budget.estimator.count(JSON.stringify(output))
    return { inputTokens: call.reservation.inputTokens, outputTokens }
  })
}

async function streamUsage(
  copy: Response,
  signal: AbortSignal,
  call: BudgetedCall,
  settings: CallSettings,
): Promise<TokenUsage> {
  // The copy has its own controller: leaving this loop must never abort the caller's stream.
  const controller = new AbortController()
  const abort = () => controller.abort()
  if (signal.aborted) abort()
  else signal.addEventListener('abort', abort, { once: true })
  const collector = new StreamUsageCollector(call.endpoint, settings.budget.estimator)
  try {
    for await (const event of Stream.fromSSEResponse(copy, controller)) collector.add(event)
  } catch {
    // Cut, aborted or failed mid-way: settle from what arrived.
  } finally {
    signal.removeEventListener('abort', abort)
  }
  return collector.usage(call.reservation.inputTokens)
}
