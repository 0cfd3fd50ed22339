/** One message of the transcript given to the summarizer model. */
export interface TranscriptEntry {
  role: string
  text: string
}

/** The system instructions of a summary call. */
export const summaryInstructions =
  'You condense the earlier part of a conversation between a user, an assistant and its tools so the ' +
  'assistant can continue without it. Keep facts, figures, names, decisions, open questions and tool ' +
  'findings; drop pleasantries and repetition. Answer with the summary only, as short bullet points.'

/**
 * The user message of a summary call: the messages to condense as a plain transcript, one block per
 * message (`role: text`). Built for the call only, never stored.
 *
 * @example
 * summaryTranscript([{ role: 'user', text: 'Find X' }, { role: 'tool', text: '…' }])
 */
export function summaryTranscript(entries: readonly TranscriptEntry[]): string {
  const blocks = entries.map((entry) => `${entry.role}: ${entry.text}`)
  return `Summarize this earlier part of the conversation:\n\n${blocks.join('\n\n')}`
}

/**
 * The text of the message that replaces the summarized turns in the request.
 *
 * @example
 * summaryMessageText('- The user wants Q3 figures.') // 'Summary of the earlier conversation …\n- The user wants Q3 figures.'
 */
export function summaryMessageText(summary: string): string {
  return `Summary of the earlier conversation (condensed by tokenwarden to fit the budget):\n${summary.trim()}`
}
