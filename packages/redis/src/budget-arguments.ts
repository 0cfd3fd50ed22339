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
import {
  emptyCounterState,
  tallyFieldCount,
  tallyToVector,
  unitIndex,
  vectorsToState,
} from '@tokenwarden/core'
import type { PackedValue } from './decode-replies.ts'
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
 * Encodes a store request for `budgetScript`: the fixed keys, the counters' keys then their window
 * keys; ARGV as the script reads it.
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
): ScriptCall {
  const keys = [redisKeys.index, redisKeys.leases, redisKeys.records]
  const windowKeys: string[] = []
  const args: (string | number)[] = [
    operation,
    now,
    settings.epsilon,
    settings.retentionMs,
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
  const header = [
    request.reservationId,
    request.leaseExpiresAt,
    request.enforce ? '1' : '0',
    ...tallyToVector(request.amount),
  ]
  return encodeCall(redisKeys, 'reserve', request.now, settings, header, request.counters)
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
    request.reservationId ?? '',
    usage === null ? '0' : '1',
    ...(usage === null ? new Array<number>(tallyFieldCount).fill(0) : tallyToVector(usage)),
    drawFrom.reduce((count, group) => count + 1 + group.length, 0),
    ...drawFrom.flatMap((group) => [group.length, ...group]),
  ]
  return encodeCall(redisKeys, 'commit', request.now, settings, header, request.counters)
}

/**
 * Counter states from the script's reply values: one per counter from `offset`, each a stored counter
 * (`[used…, reserved…, expiry]`), window totals (`[used…, reserved…]`) or `null` (zeros).
 *
 * @example
 * decodeStates(values, 1, counters.map((c) => c.key))
 */
export function decodeStates(
  values: readonly PackedValue[],
  offset: number,
  keys: readonly string[],
): CounterState[] {
  const states: CounterState[] = new Array(keys.length)
  for (let i = 0; i < keys.length; i++) {
    const value = values[offset + i] as number[] | null | undefined
    states[i] =
      value == null
        ? emptyCounterState(keys[i]!)
        : vectorsToState(keys[i]!, value, value.slice(tallyFieldCount))
  }
  return states
}

/**
 * A reservation's result from the script's reply values.
 *
 * @example
 * decodeReserve(values, request.counters)
 */
export function decodeReserve(
  values: readonly PackedValue[],
  counters: readonly CounterCharge[],
): StoreReserveResult {
  const header = values[0] as number[]
  const denial = decodeDenial(header)
  if (header[0] === 0) return { ok: false, denial: denial! }
  const states = decodeStates(
    values,
    1,
    counters.map((charge) => charge.key),
  )
  if (header[5] === 1) return { ok: true, counters: states, exceeded: undefined, alreadyApplied: true }
  return { ok: true, counters: states, exceeded: denial }
}

function decodeDenial(header: readonly number[]): StoreDenial | undefined {
  if (header[1] === undefined || header[1] < 0) return undefined
  return { index: header[1], unit: unitOfField.get(header[2]!)!, used: header[3]!, reserved: header[4]! }
}
