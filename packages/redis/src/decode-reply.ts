import { decode } from '@msgpack/msgpack'

/** A value of the headers `budgetScript` packs: numbers, strings and arrays of them. */
export type PackedValue = number | string | boolean | null | PackedValue[]

/**
 * A reply of `budgetScript`: its msgpack header, its counters (19 big-endian doubles each), and per
 * counter with grants its index and granted amounts (10 doubles; empty when none has any).
 */
export interface ScriptReply {
  header: PackedValue
  counters: Buffer
  grants: Buffer
}

/** Bytes of one counter in a reply: used and reserved values (`tallyFields` order each), expiry. */
export const counterBytes = 19 * 8

/**
 * Splits the script's two bulk strings into the decoded header (`cmsgpack.pack`, so amounts arrive as
 * exact doubles), the counters' bytes and the grants' (read with `decodeStates` of `budget-arguments.ts`).
 *
 * @example
 * decodeReply([Buffer.from([0x92, 0x01, 0x00]), Buffer.alloc(0), Buffer.alloc(0)]) // { header: [1, 0], … }
 */
export function decodeReply(reply: readonly Buffer[]): ScriptReply {
  return { header: decode(reply[0]!) as PackedValue, counters: reply[1]!, grants: reply[2] ?? empty }
}

const empty = Buffer.alloc(0)
