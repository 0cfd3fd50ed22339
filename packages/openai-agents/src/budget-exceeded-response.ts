import { type ModelResponse, type StreamEvent, Usage } from '@openai/agents'

/** The `providerData.tokenwarden` marker of a response the budget made instead of the model. */
export const budgetExceededMarker = 'budget-exceeded'

/**
 * The response of a call the budget refused under `onExceeded: 'finish'` (nothing was sent; the text is
 * core's `exceededAnswer`): one assistant message with `text`, no tool calls, so the run ends with it as
 * its final output, `usage` empty (no request was made) and no response id (nothing can continue it).
 *
 * @example
 * return budgetExceededResponse('The budget for this conversation is used up.')
 */
export function budgetExceededResponse(text: string, usage: Usage = new Usage()): ModelResponse {
  const content = [{ type: 'output_text' as const, text }]
  const message = {
    type: 'message' as const,
    role: 'assistant' as const,
    status: 'completed' as const,
    content,
  }
  return { usage, output: [message], providerData: { tokenwarden: budgetExceededMarker } }
}

/**
 * The stream of {@link budgetExceededResponse}: `response_started`, the text as one delta, then
 * `response_done` with `usage`; for a stream the budget stopped at its reservation (its text already
 * streamed), only that `response_done`. Its response id is empty (the SDK's stream schema requires one;
 * nothing can continue it).
 *
 * @example
 * yield* budgetExceededEvents('The budget for this conversation is used up.')
 */
export function* budgetExceededEvents(text: string, stopped?: Usage): Generator<StreamEvent> {
  if (stopped === undefined) {
    yield { type: 'response_started' }
    if (text.length > 0) yield { type: 'output_text_delta', delta: text }
  }
  const usage = stopped ?? new Usage()
  const { output, providerData } = budgetExceededResponse(text, usage)
  yield { type: 'response_done', response: { id: '', usage, output, providerData } } as StreamEvent
}
