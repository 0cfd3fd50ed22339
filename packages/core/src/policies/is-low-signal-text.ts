/** Short replies that carry no information for the next call. */
const acknowledgements =
  /^(ok(ay)?|k|sure|yes|yep|no|nope|thanks?( you)?|thx|ty|great|cool|nice|got it|understood|done|right|alright|fine|perfect|👍|🙏|continue|go on|go ahead)[\s.!?]*$/i

/**
 * True for a message text that can be dropped first when a request must shrink: empty, whitespace or a
 * short acknowledgement such as "ok", "thanks!" or "got it". The text is only inspected, never kept.
 *
 * @example
 * isLowSignalText('Thanks!') // true
 * isLowSignalText('Use the 2024 figures.') // false
 */
export function isLowSignalText(text: string): boolean {
  const trimmed = text.trim()
  return trimmed.length === 0 || (trimmed.length <= 24 && acknowledgements.test(trimmed))
}
