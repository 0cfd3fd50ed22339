import type { RecordedRequest, ScriptedReply, ScriptedUsage } from './scripted-reply.ts'

/**
 * Splits reply text into stream deltas: one per word (with its trailing space), or `chunks` equal parts.
 *
 * @example
 * splitText('one two', undefined) // ['one ', 'two']
 */
export function splitText(text: string, chunks: number | undefined): string[] {
  if (text.length === 0) return []
  if (chunks === undefined) return text.match(/\S+\s*|\s+/g) ?? [text]
  const size = Math.ceil(text.length / chunks)
  const parts: string[] = []
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size))
  return parts
}

/**
 * The usage reported when a reply scripts none: input ≈ the request's messages or input size / 4, output
 * = the number of text deltas (at least 1 each).
 *
 * @example
 * defaultUsage(request, { text: 'a b c' }) // { inputTokens: …, outputTokens: 3 }
 */
export function defaultUsage(request: RecordedRequest, reply: ScriptedReply): ScriptedUsage {
  const size = JSON.stringify(request.body?.messages ?? request.body?.input ?? '').length
  return {
    inputTokens: Math.max(1, Math.ceil(size / 4)),
    outputTokens: Math.max(1, splitText(reply.text ?? '', reply.chunks).length),
  }
}
