/** A value of the replies `budgetScript` packs: numbers, strings and arrays of them. */
export type PackedValue = number | string | boolean | null | PackedValue[]

const utf8 = new TextDecoder()

/**
 * Decodes the MessagePack values written one after another in `bytes`, as Redis's `cmsgpack.pack`
 * writes them (no maps or extensions are needed here).
 *
 * @example
 * decodeMsgpack(Buffer.from([0x92, 0x01, 0xa1, 0x61, 0xc0])) // [[1, 'a'], null]
 */
export function decodeMsgpack(bytes: Uint8Array): PackedValue[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 0
  const text = (length: number) => {
    const value = utf8.decode(bytes.subarray(offset, offset + length))
    offset += length
    return value
  }
  const array = (length: number): PackedValue[] => {
    const values: PackedValue[] = new Array(length)
    for (let i = 0; i < length; i++) values[i] = next()
    return values
  }
  function next(): PackedValue {
    const type = view.getUint8(offset++)
    if (type <= 0x7f) return type
    if (type >= 0xe0) return type - 0x100
    if (type >= 0x90 && type <= 0x9f) return array(type & 0x0f)
    if (type >= 0xa0 && type <= 0xbf) return text(type & 0x1f)
    let value: PackedValue
    switch (type) {
      case 0xc0:
        return null
      case 0xc2:
        return false
      case 0xc3:
        return true
      case 0xca:
        value = view.getFloat32(offset)
        offset += 4
        return value
      case 0xcb:
        value = view.getFloat64(offset)
        offset += 8
        return value
      case 0xcc:
        return view.getUint8(offset++)
      case 0xcd:
        value = view.getUint16(offset)
        offset += 2
        return value
      case 0xce:
        value = view.getUint32(offset)
        offset += 4
        return value
      case 0xcf:
        value = Number(view.getBigUint64(offset))
        offset += 8
        return value
      case 0xd0:
        return view.getInt8(offset++)
      case 0xd1:
        value = view.getInt16(offset)
        offset += 2
        return value
      case 0xd2:
        value = view.getInt32(offset)
        offset += 4
        return value
      case 0xd3:
        value = Number(view.getBigInt64(offset))
        offset += 8
        return value
      case 0xd9:
        return text(view.getUint8(offset++))
      case 0xda:
        offset += 2
        return text(view.getUint16(offset - 2))
      case 0xdb:
        offset += 4
        return text(view.getUint32(offset - 4))
      case 0xdc:
        offset += 2
        return array(view.getUint16(offset - 2))
      case 0xdd:
        offset += 4
        return array(view.getUint32(offset - 4))
      default:
        throw new Error(`[tokenwarden] [redis] unexpected MessagePack type 0x${type.toString(16)}`)
    }
  }
  const values: PackedValue[] = []
  while (offset < bytes.length) values.push(next())
  return values
}
