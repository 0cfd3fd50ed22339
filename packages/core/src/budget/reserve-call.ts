import type { StoreDenial, StoreReserveResult } from '../stores/budget-store.ts'
import { emptyTally } from '../usage/tally.ts'
import { affordableOutput } from './affordable-output.ts'
import type { Reservation, ReserveRequest } from './budget.ts'
import type { BudgetContext } from './budget-context.ts'
import type { BudgetEngine } from './budget-engine.ts'
import type { ChildCalls } from './child-parent.ts'
import { OpenReservation } from './open-reservation.ts'
import { type ResolvedCharge, watchCovered } from './resolve-charges.ts'
import { type RequestSnapshot, validateRequest } from './validate-request.ts'

/** What the engine's reusable reserve request holds between calls (nothing of a caller's). */
const emptyAmount = emptyTally()
const requestScratch: RequestSnapshot = {
  model: undefined,
  inputTokens: 0,
  maxOutputTokens: undefined,
  outputFromDefault: false,
  clamp: undefined,
  leaseMs: undefined,
}

/**
 * A reservation on the engine's store; for a child budget's call (`calls`), on the counters its plan
 * holds, owned (settled) by the child. On an in-process store (`reserveSync`), without clamp, rollover
 * or child plan, one synchronous path: no promise but the one returned.
 *
 * @example
 * const reservation = await reserveCall(engine, { thread: 't-1' }, { inputTokens: 900 }, undefined)
 */
export function reserveCall(
  engine: BudgetEngine,
  context: BudgetContext,
  request: ReserveRequest,
  calls: ChildCalls | undefined,
): Promise<Reservation> {
  let snapshot: RequestSnapshot
  try {
    // read into one reused snapshot: reserveNow reads it first thing; the async path gets a copy
    snapshot = validateRequest(request, requestScratch)
    if (
      calls === undefined &&
      snapshot.clamp === undefined &&
      engine.store.reserveSync !== undefined &&
      !engine.config.table.rollover
    )
      return Promise.resolve(reserveNow(engine, context, snapshot))
  } catch (error) {
    return Promise.reject(error)
  }
  return reserveLater(engine, context, { ...snapshot }, calls)
}

/** A reservation without clamp, rollover or child plan, on a store with `reserveSync`. */
function reserveNow(engine: BudgetEngine, context: BudgetContext, snapshot: RequestSnapshot): Reservation {
  // the snapshot is reused by the next call: read it before anything else runs
  const { model, inputTokens, outputFromDefault } = snapshot
  const maxOutputTokens = snapshot.maxOutputTokens ?? engine.defaultMaxOutputTokens
  const leaseMs = snapshot.leaseMs ?? engine.config.leaseMs
  const now = engine.config.now()
  engine.lastNow = now
  const charges = engine.resolve(context, model, now)
  const amount = engine.pricing.reserveAmount(context, model, charges, inputTokens, maxOutputTokens)
  const id = engine.nextId()
  const expiresAt = now + leaseMs
  // one request object for every call: the store reads it synchronously and keeps nothing of it
  const request = engine.reserveRequest
  request.reservationId = id
  request.now = now
  request.leaseExpiresAt = expiresAt
  request.counters = engine.counterLists.held(charges)
  request.amount = amount
  const result = engine.store.reserveSync!(request)
  request.amount = emptyAmount
  if (!result.ok) {
    const denial = { ...result.denial, requested: amount[result.denial.unit] }
    const output = outputFromDefault
      ? defaultOutput(engine, context, model, charges, inputTokens, maxOutputTokens, denial.unit)
      : undefined
    throw engine.refuse(context, model, charges, denial, output)
  }
  const reservation = new OpenReservation(
    engine,
    id,
    context,
    model,
    inputTokens,
    maxOutputTokens,
    amount,
    expiresAt,
    leaseMs,
    charges,
    result.handle,
  )
  return opened(engine, result, reservation, charges)
}

async function reserveLater(
  engine: BudgetEngine,
  context: BudgetContext,
  snapshot: RequestSnapshot,
  calls: ChildCalls | undefined,
): Promise<Reservation> {
  const { model, inputTokens, clamp } = snapshot
  let maxOutputTokens = snapshot.maxOutputTokens ?? engine.defaultMaxOutputTokens
  const leaseMs = snapshot.leaseMs ?? engine.config.leaseMs
  const attempts = clamp === undefined ? 1 : 3
  for (let attempt = 1; ; attempt++) {
    const now = engine.config.now()
    engine.lastNow = now
    let charges: ResolvedCharge[]
    let all: ResolvedCharge[]
    if (calls === undefined) {
      charges = engine.resolve(context, model, now)
      if (engine.config.table.rollover) charges = await engine.withRollover(charges, now)
      all = charges
    } else {
      const plan = await calls.plan(context, model, now)
      charges = plan.held
      all = plan.all
      context = plan.context
    }
    if (clamp !== undefined) {
      const states = await engine.store.read({ now, counters: engine.counterLists.held(charges) })
      const affordable = affordableOutput(
        charges,
        states,
        inputTokens,
        engine.pricing.outputPricing(model, inputTokens),
      )
      if (affordable.tokens < maxOutputTokens) {
        if (affordable.tokens < clamp.minOutputTokens && engine.mode === 'enforce') {
          const denial = affordable.denial!
          const minimum = engine.pricing.reserveAmount(
            context,
            model,
            all,
            inputTokens,
            clamp.minOutputTokens,
          )
          throw engine.refuse(context, model, charges, { ...denial, requested: minimum[denial.unit] })
        }
        maxOutputTokens = Math.max(affordable.tokens, clamp.minOutputTokens)
      }
    }
    const amount = engine.pricing.reserveAmount(context, model, all, inputTokens, maxOutputTokens)
    const id = engine.nextId()
    const expiresAt = now + leaseMs
    const reserveRequest = {
      reservationId: id,
      now,
      leaseExpiresAt: expiresAt,
      counters: engine.counterLists.held(charges),
      amount,
      enforce: engine.mode === 'enforce',
      once: true,
      watchedOnly: watchCovered(charges), // states are read only for thresholds (see `opened`)
    }
    const result = engine.store.reserveSync?.(reserveRequest) ?? (await engine.store.reserve(reserveRequest))
    if (!result.ok) {
      if (attempt < attempts) continue
      const denial = { ...result.denial, requested: amount[result.denial.unit] }
      const output =
        snapshot.outputFromDefault && clamp === undefined
          ? defaultOutput(engine, context, model, all, inputTokens, maxOutputTokens, denial.unit)
          : undefined
      throw engine.refuse(context, model, charges, denial, output)
    }
    const reservation = new OpenReservation(
      calls?.owner ?? engine,
      id,
      context,
      model,
      inputTokens,
      maxOutputTokens,
      amount,
      expiresAt,
      leaseMs,
      all,
      result.handle,
    )
    return opened(engine, result, reservation, charges)
  }
}

/**
 * For a refusal of a call that set no output limit: what its input alone would hold in the refused
 * unit, so the error can say when the default output is what does not fit (the refusal path only).
 */
function defaultOutput(
  engine: BudgetEngine,
  context: BudgetContext,
  model: string | undefined,
  charges: ResolvedCharge[],
  inputTokens: number,
  maxOutputTokens: number,
  unit: StoreDenial['unit'],
): { inputOnly: number; maxOutputTokens: number } {
  const inputOnly = engine.pricing.reserveAmount(context, model, charges, inputTokens, 0)[unit]
  return { inputOnly, maxOutputTokens }
}

/**
 * A reservation the store held (`held`: the counters it holds on): reports a passed cap
 * (warn/dry-run), catches up thresholds, emits.
 */
function opened(
  engine: BudgetEngine,
  result: StoreReserveResult & { ok: true },
  reservation: OpenReservation,
  held: ResolvedCharge[],
): OpenReservation {
  const { id, context, model, amount } = reservation
  if (result.exceeded !== undefined) {
    engine.emitExceeded(
      context,
      model,
      held,
      { ...result.exceeded, requested: amount[result.exceeded.unit] },
      false,
    )
  }
  // no states back (watchedOnly): no counter stands at a threshold
  if (engine.mode !== 'dry-run' && result.counters.length !== 0)
    engine.thresholds.catchUp(held, result.counters)
  if (engine.events.has('reserved'))
    engine.events.emit('reserved', { reservationId: id, context, model, amount })
  return reservation
}
