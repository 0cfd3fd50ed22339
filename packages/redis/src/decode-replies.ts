import { decodeMulti } from '@msgpack/msgpack'

/** A value of the replies `budgetScript` packs: numbers, strings and arrays of them. */
export type PackedValue = number | string | boolean | null | PackedValue[]

/**
 * Decodes the MessagePack values the script writes one after another in its reply (`cmsgpack.pack`),
 * so amounts arrive as exact doubles.
 *
 * @example
 * decodeReplies(Buffer.from([0x92, 0x01, 0xa1, 0x61, 0xc0])) // [[1, 'a'], null]
 */
export function decodeReplies(bytes: Uint8Array): PackedValue[] {
  return [...decodeMulti(bytes)] as PackedValue[]
}
