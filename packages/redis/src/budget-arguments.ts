import type {
  CounterCharge,
  CounterState,
  LimitUnit,
  StoreCommitRequest,
  StoreDenial,
  StoreGrantRequest,
  StoreReserveRequest,
  StoreReserveResult,
  Tally,
} from '@tokenwarden/core'
import { tallyFieldCount, tallyToVector, unitIndex, vectorsToState } from '@tokenwarden/core'
import { counterBytes, headerNumbers, type ScriptReply } from './decode-reply.ts'
import type { RedisKeys } from './redis-keys.ts'

/** KEYS and ARGV of one script call. */
export interface ScriptCall {
  keys: string[]
  args: (string | Buffer)[]
}

/** The store's options every script call carries. */
export interface ScriptSettings {
  epsilon: number
  /** How long closed reservation ids are remembered (ms). */
  retentionMs: number
}

const unitOfField = new Map(Object.entries(unitIndex).map(([unit, field]) => [field, unit as LimitUnit]))

/**
 * Encodes a store request for `budgetScript`. Keys: the fixed ones, the reservation's key (the bare
 * reservation prefix without an id), when housekeeping is due, the counters' keys, then their window
 * keys. Arguments: the operation; the call's own numbers as one string of big-endian doubles (now,
 * `header`, then `trailing`); the request's shape, likewise (epsilon, retention, then the counters with
 * their expiry, caps, window sizes and watch levels (with `watchedOnly`; else -1: every state wanted)),
 * which repeats from call to call, so the script parses each shape once; the reservation key prefix; the
 * retention in whole ms and `leaseExpiresAt` as text (for the commands that take them); then `strings`.
 *
 * @example
 * const { keys, args } = encodeCall(keys, 'read', now, { epsilon: 1e-9, retentionMs: 60_000 }, [], counters)
 */
export function encodeCall(
  redisKeys: RedisKeys,
  operation: string,
  now: number,
  settings: ScriptSettings,
  header: readonly number[],
  counters: readonly CounterCharge[],
  reservationId: string | null = null,
  trailing: readonly number[] = [],
  strings: readonly string[] = [],
  watchedOnly = false,
  leaseExpiresAt: number | null = null,
  extra: string | Buffer = '',
): ScriptCall {
  const keys = [
    redisKeys.index,
    redisKeys.leases,
    redisKeys.records,
    reservationId === null ? redisKeys.reservationPrefix : redisKeys.reservation(reservationId),
    redisKeys.due,
  ]
  const windowKeys: string[] = []
  const shape: number[] = [settings.epsilon, settings.retentionMs, counters.length]
  for (const charge of counters) {
    keys.push(redisKeys.counter(charge.key))
    shape.push(charge.expiresAt ?? -1)
    const caps = charge.caps === null ? [] : Object.entries(charge.caps)
    shape.push(caps.length)
    for (const [unit, cap] of caps) shape.push(unitIndex[unit as LimitUnit] + 1, cap!)
    shape.push(charge.window?.length ?? 0)
    for (const key of charge.window ?? []) windowKeys.push(redisKeys.counter(key))
    if (!watchedOnly) {
      shape.push(-1)
    } else {
      const watch = charge.watch === undefined ? [] : Object.entries(charge.watch)
      shape.push(watch.length)
      for (const [unit, level] of watch) shape.push(unitIndex[unit as LimitUnit] + 1, level!)
    }
  }
  for (const key of windowKeys) keys.push(key)
  const numbers = Buffer.allocUnsafe(8 * (1 + header.length + trailing.length))
  numbers.writeDoubleBE(now, 0)
  for (let i = 0; i < header.length; i++) numbers.writeDoubleBE(header[i]!, 8 * (1 + i))
  for (let i = 0; i < trailing.length; i++) numbers.writeDoubleBE(trailing[i]!, 8 * (1 + header.length + i))
  // Numbers Redis commands take as text (a lease's score, the retention's PX), formatted here once
  // rather than by Lua on every call: String() of a double parses back to the same double.
  const leaseText = leaseExpiresAt === null ? '' : String(leaseExpiresAt)
  return {
    keys,
    args: [
      operation,
      numbers,
      packDoubles(shape),
      redisKeys.reservationPrefix,
      retentionText(settings),
      leaseText,
      extra,
      ...strings,
    ],
  }
}

function packDoubles(values: readonly number[]): Buffer {
  const packed = Buffer.allocUnsafe(8 * values.length)
  for (let i = 0; i < values.length; i++) packed.writeDoubleBE(values[i]!, 8 * i)
  return packed
}

const retentionTexts = new Map<number, string>()

function retentionText({ retentionMs }: ScriptSettings): string {
  let text = retentionTexts.get(retentionMs)
  if (text === undefined) {
    text = String(Math.ceil(retentionMs))
    retentionTexts.set(retentionMs, text)
  }
  return text
}

const leaseMark = Buffer.from('r')

/**
 * The script call of a reservation.
 *
 * @example
 * encodeReserve(keys, request, { epsilon: 1e-9, retentionMs: 60_000 })
 */
export function encodeReserve(
  redisKeys: RedisKeys,
  request: StoreReserveRequest,
  settings: ScriptSettings,
): ScriptCall {
  const header = [request.leaseExpiresAt, ...tallyToVector(request.amount), request.enforce ? 1 : 0]
  const call = encodeCall(
    redisKeys,
    'reserve',
    request.now,
    settings,
    header,
    request.counters,
    request.reservationId,
    [],
    [],
    request.watchedOnly === true,
    request.leaseExpiresAt,
  )
  // the lease as the script stores it: 'r', its expiry and amount (the numbers after now), then its
  // counter keys (the request's own) joined by newlines
  const numbers = call.args[1] as Buffer
  call.args[6] = Buffer.concat([
    leaseMark,
    numbers.subarray(8, 8 * (2 + tallyFieldCount)),
    Buffer.from(call.keys.slice(5, 5 + request.counters.length).join('\n')),
  ])
  return call
}

/**
 * The script call of a commit (settle, release or record). Its draws travel after the counters: the
 * number of groups and each group's size, and the groups' reservation keys as strings.
 *
 * @example
 * encodeCommit(keys, request, { epsilon: 1e-9, retentionMs: 60_000 })
 */
export function encodeCommit(
  redisKeys: RedisKeys,
  request: StoreCommitRequest,
  settings: ScriptSettings,
): ScriptCall {
  const usage: Tally | null = request.usage
  const drawFrom = request.drawFrom ?? []
  const header = [
    usage === null ? 0 : 1,
    ...(usage === null ? new Array<number>(tallyFieldCount).fill(0) : tallyToVector(usage)),
  ]
  const id = request.reservationId === '' ? null : request.reservationId
  return encodeCall(
    redisKeys,
    'commit',
    request.now,
    settings,
    header,
    request.counters,
    id,
    [drawFrom.length, ...drawFrom.map((group) => group.length)],
    drawFrom.flatMap((group) => group.map(redisKeys.reservation)),
    request.watchedOnly === true,
    null,
    // the closed mark: `c` and until when it is remembered (String() of a double parses back to it)
    id === null ? '' : `c${request.now + settings.retentionMs}`,
  )
}

/**
 * The script call of a grant: the amount per field, then the one counter; the grant's own key in place
 * of a reservation's.
 *
 * @example
 * encodeGrant(keys, { grantId: 'g-1', now, counter, amount: { tokens: 500 } }, settings)
 */
export function encodeGrant(
  redisKeys: RedisKeys,
  request: StoreGrantRequest,
  settings: ScriptSettings,
): ScriptCall {
  const amount = new Array<number>(tallyFieldCount).fill(0)
  for (const [unit, value] of Object.entries(request.amount)) amount[unitIndex[unit as LimitUnit]] = value!
  const call = encodeCall(redisKeys, 'grant', request.now, settings, amount, [request.counter])
  call.keys[3] = redisKeys.grant(request.grantId)
  return call
}

const grantUnits = Object.entries(unitIndex) as [LimitUnit, number][]
const grantBytes = 8 * (1 + tallyFieldCount)

/**
 * Counter states from the script's reply: one per key, each 19 big-endian doubles (used, reserved, then
 * an expiry the states do not need); zeros for a counter that does not exist; none when the reply
 * carries none (a `watchedOnly` operation that reached no watch level). `grants` (the reply's third
 * part: index, then 9 doubles, per counter with grants) adds `granted` to those counters' states.
 *
 * @example
 * decodeStates(reply.counters, counters.map((c) => c.key), reply.grants)
 */
export function decodeStates(bytes: Buffer, keys: readonly string[], grants?: Buffer): CounterState[] {
  // none wanted (watchedOnly, no watch level reached)
  if (bytes.length === 0) return []
  const states: CounterState[] = new Array(keys.length)
  const used = new Array<number>(tallyFieldCount)
  const reserved = new Array<number>(tallyFieldCount)
  for (let i = 0; i < keys.length; i++) {
    const offset = i * counterBytes
    for (let f = 0; f < tallyFieldCount; f++) {
      used[f] = bytes.readDoubleBE(offset + 8 * f)
      reserved[f] = bytes.readDoubleBE(offset + 8 * (tallyFieldCount + f))
    }
    states[i] = vectorsToState(keys[i]!, used, reserved)
  }
  if (grants !== undefined) {
    for (let offset = 0; offset + grantBytes <= grants.length; offset += grantBytes) {
      const state = states[grants.readDoubleBE(offset)]
      if (state === undefined) continue
      let granted: Partial<Record<LimitUnit, number>> | undefined
      for (const [unit, field] of grantUnits) {
        const value = grants.readDoubleBE(offset + 8 * (1 + field))
        if (value <= 0) continue
        granted ??= {}
        granted[unit] = value
      }
      if (granted !== undefined) state.granted = granted
    }
  }
  return states
}

/**
 * A reservation's result from the script's reply.
 *
 * @example
 * decodeReserve(reply, request.counters)
 */
export function decodeReserve(reply: ScriptReply, counters: readonly CounterCharge[]): StoreReserveResult {
  const header = headerNumbers(reply)
  const denial = decodeDenial(header)
  if (header[0] === 0) return { ok: false, denial: denial! }
  const states = decodeStates(
    reply.counters,
    counters.map((charge) => charge.key),
    reply.grants,
  )
  if (header[5] === 1) return { ok: true, counters: states, exceeded: undefined, alreadyApplied: true }
  return { ok: true, counters: states, exceeded: denial }
}

function decodeDenial(header: readonly number[]): StoreDenial | undefined {
  if (header[1] === undefined || header[1] < 0) return undefined
  const denial: StoreDenial = {
    index: header[1],
    unit: unitOfField.get(header[2]!)!,
    used: header[3]!,
    reserved: header[4]!,
  }
  if (header[6] !== undefined && header[6] > 0) denial.granted = header[6]
  return denial
}
