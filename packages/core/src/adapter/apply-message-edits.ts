import type { MessageEdit } from './compress-call-input.ts'

/**
 * A framework's messages with the edits of `applyCallPolicies`' compression applied: `keep` (or no edit)
 * keeps the message as it is, `drop` leaves it out, `truncate` keeps what `truncate(message, toolResults)`
 * returns (`undefined` leaves it out). `offset` is where `messages` start in the policy input's messages
 * (e.g. 1 when the input led with a system message the framework keeps apart). A new array; the messages
 * themselves are never changed.
 *
 * @example
 * import { applyMessageEdits } from '@tokenwarden/core/adapter'
 * const messages = applyMessageEdits(json.messages, outcome.compression.edits, (message, [text]) => ({ ...message, content: text ?? '' }))
 */
export function applyMessageEdits<Message>(
  messages: readonly Message[],
  edits: readonly MessageEdit[],
  truncate: (message: Message, toolResults: readonly string[]) => Message | undefined,
  offset = 0,
): Message[] {
  const kept: Message[] = []
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!
    const edit = edits[index + offset]
    if (edit === undefined || edit.type === 'keep') kept.push(message)
    else if (edit.type === 'truncate') {
      const truncated = truncate(message, edit.toolResults)
      if (truncated !== undefined) kept.push(truncated)
    }
  }
  return kept
}
