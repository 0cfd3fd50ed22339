import type {
  CounterCharge,
  CounterState,
  LimitUnit,
  StoreCommitRequest,
  StoreDenial,
  StoreReserveRequest,
  StoreReserveResult,
  Tally,
} from '@tokenwarden/core'
import { tallyFieldCount, tallyToVector, unitIndex, vectorsToState } from '@tokenwarden/core'
import { counterBytes, type ScriptReply } from './decode-reply.ts'
import type { RedisKeys } from './redis-keys.ts'

/** KEYS and ARGV of one script call. */
export interface ScriptCall {
  keys: string[]
  args: (string | number)[]
}

/** The store's options every script call carries. */
export interface ScriptSettings {
  epsilon: number
  /** How long closed reservation ids are remembered (ms). */
  retentionMs: number
}

const unitOfField = new Map(Object.entries(unitIndex).map(([unit, field]) => [field, unit as LimitUnit]))

/**
 * Encodes a store request for `budgetScript`: the fixed keys and the reservation's key (the bare
 * reservation prefix without an id), the counters' keys then their window keys; ARGV as the script
 * reads it.
 *
 * @example
 * const { keys, args } = encodeCall(keys, 'read', now, { epsilon: 1e-9, retentionMs: 60_000 }, [], counters)
 */
export function encodeCall(
  redisKeys: RedisKeys,
  operation: string,
  now: number,
  settings: ScriptSettings,
  header: (string | number)[],
  counters: readonly CounterCharge[],
  reservationId: string | null = null,
): ScriptCall {
  const keys = [
    redisKeys.index,
    redisKeys.leases,
    redisKeys.records,
    reservationId === null ? redisKeys.reservationPrefix : redisKeys.reservation(reservationId),
  ]
  const windowKeys: string[] = []
  const args: (string | number)[] = [
    operation,
    now,
    settings.epsilon,
    settings.retentionMs,
    redisKeys.reservationPrefix,
    ...header,
    counters.length,
  ]
  for (const charge of counters) {
    keys.push(redisKeys.counter(charge.key))
    args.push(charge.expiresAt ?? -1)
    const caps = charge.caps === null ? [] : Object.entries(charge.caps)
    args.push(caps.length)
    for (const [unit, cap] of caps) args.push(unitIndex[unit as LimitUnit] + 1, cap!)
    args.push(charge.window?.length ?? 0)
    for (const key of charge.window ?? []) windowKeys.push(redisKeys.counter(key))
  }
  for (const key of windowKeys) keys.push(key)
  return { keys, args }
}

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
  const header = [request.leaseExpiresAt, request.enforce ? '1' : '0', ...tallyToVector(request.amount)]
  return encodeCall(
    redisKeys,
    'reserve',
    request.now,
    settings,
    header,
    request.counters,
    request.reservationId,
  )
}

/**
 * The script call of a commit (settle, release or record).
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
    usage === null ? '0' : '1',
    ...(usage === null ? new Array<number>(tallyFieldCount).fill(0) : tallyToVector(usage)),
    drawFrom.reduce((count, group) => count + 1 + group.length, 0),
    ...drawFrom.flatMap((group) => [group.length, ...group.map(redisKeys.reservation)]),
  ]
  const id = request.reservationId === '' ? null : request.reservationId
  return encodeCall(redisKeys, 'commit', request.now, settings, header, request.counters, id)
}

/**
 * Counter states from the script's reply: one per key, each 19 big-endian doubles (used, reserved, then
 * an expiry the states do not need); zeros for a counter that does not exist.
 *
 * @example
 * decodeStates(reply.counters, counters.map((c) => c.key))
 */
export function decodeStates(bytes: Buffer, keys: readonly string[]): CounterState[] {
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
  return states
}

/**
 * A reservation's result from the script's reply.
 *
 * @example
 * decodeReserve(reply, request.counters)
 */
export function decodeReserve(reply: ScriptReply, counters: readonly CounterCharge[]): StoreReserveResult {
  const header = reply.header as number[]
  const denial = decodeDenial(header)
  if (header[0] === 0) return { ok: false, denial: denial! }
  const states = decodeStates(
    reply.counters,
    counters.map((charge) => charge.key),
  )
  if (header[5] === 1) return { ok: true, counters: states, exceeded: undefined, alreadyApplied: true }
  return { ok: true, counters: states, exceeded: denial }
}

function decodeDenial(header: readonly number[]): StoreDenial | undefined {
  if (header[1] === undefined || header[1] < 0) return undefined
  return { index: header[1], unit: unitOfField.get(header[2]!)!, used: header[3]!, reserved: header[4]! }
}
