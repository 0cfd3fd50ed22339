/**
 * A reply of `budgetScript`: its header (the operation's numbers as big-endian doubles; for `list`, the
 * counters' Redis keys joined by newlines), its counters (19 big-endian doubles each), and per counter
 * with grants its index and granted amounts (10 doubles; empty when none has any).
 */
export interface ScriptReply {
  header: Buffer
  counters: Buffer
  grants: Buffer
}

/** Bytes of one counter in a reply: used and reserved values (`tallyFields` order each), expiry. */
export const counterBytes = 19 * 8

const empty = Buffer.alloc(0)

/**
 * The script's three bulk strings, or its header alone (one bulk string: no state wanted), as a
 * {@link ScriptReply} (read the counters with `decodeStates` of `budget-arguments.ts`, the header with
 * {@link headerNumbers}).
 *
 * @example
 * decodeReply([header, counters, grants]).counters.length // 152 per counter
 * decodeReply(header).counters.length // 0
 */
export function decodeReply(reply: Buffer | readonly Buffer[]): ScriptReply {
  if (Buffer.isBuffer(reply)) return { header: reply, counters: empty, grants: empty }
  return { header: reply[0]!, counters: reply[1] ?? empty, grants: reply[2] ?? empty }
}

/**
 * The numbers of a reply's header (exact doubles).
 *
 * @example
 * headerNumbers(reply)[0] // 1: the reservation is held
 */
export function headerNumbers(reply: ScriptReply): number[] {
  const { header } = reply
  const numbers = new Array<number>(header.length >> 3)
  for (let i = 0; i < numbers.length; i++) numbers[i] = header.readDoubleBE(8 * i)
  return numbers
}
