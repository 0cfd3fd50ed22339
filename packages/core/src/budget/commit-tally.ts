import type { StoreCommitResult } from '../stores/budget-store.ts'
import type { Tally } from '../usage/tally.ts'
import type { TokenUsage } from '../usage/token-usage.ts'
import type { BudgetWarning } from '../warnings/budget-warning.ts'
import type { SettleResult } from './budget.ts'
import type { BudgetContext } from './budget-context.ts'
import type { BudgetEngine } from './budget-engine.ts'
import type { OpenReservation } from './open-reservation.ts'
import { type ResolvedCharge, watchCovered } from './resolve-charges.ts'
import { readUsage, type UsageSnapshot } from './validate-request.ts'

/**
 * Adds a priced usage to the engine's store (settles, records; child budgets close calls in flight at
 * their reservation with it) and detects threshold crossings.
 *
 * @example
 * const result = await commitTally(engine, reservationId, context, model, charges, tally, now)
 */
export async function commitTally(
  engine: BudgetEngine,
  reservationId: string | null,
  context: BudgetContext,
  model: string | undefined,
  charges: ResolvedCharge[],
  tally: Tally,
  now: number,
  handle?: unknown,
  reserved = true,
  drawFrom?: readonly (readonly string[])[],
  estimated = false,
  rejectedFields?: UsageSnapshot['rejectedFields'],
): Promise<SettleResult> {
  const counters = engine.counterLists.settled(charges, context, model, now)
  // a record's id is new and sent once (in-process stores need not remember it)
  // states are read only for thresholds (see `committed`)
  const commitRequest = {
    reservationId,
    now,
    counters,
    usage: tally,
    handle,
    drawFrom,
    once: !reserved,
    watchedOnly: watchCovered(charges),
  }
  const result = engine.store.commitSync?.(commitRequest) ?? (await engine.store.commit(commitRequest))
  return committed(
    engine,
    result,
    reservationId,
    context,
    model,
    charges,
    tally,
    now,
    reserved,
    estimated,
    rejectedFields,
  )
}

/**
 * A settle of the engine's own reservation on a store with `commitSync`, without a promise (throws
 * instead of rejecting).
 *
 * @example
 * const result = settleNow(engine, reservation, usage)
 */
export function settleNow(
  engine: BudgetEngine,
  reservation: OpenReservation,
  usage: TokenUsage,
): SettleResult {
  const { id: reservationId, context, model, charges } = reservation
  const now = engine.settleTime(charges)
  const snapshot = readUsage(usage)
  const tally = engine.pricing.usageTally(context, model, charges, snapshot)
  const request = engine.commitRequest
  request.reservationId = reservationId
  request.now = now
  request.counters = engine.counterLists.settled(charges, context, model, now)
  request.usage = tally
  request.handle = reservation.handle
  const result = engine.store.commitSync!(request)
  request.usage = null
  request.handle = undefined
  return committed(
    engine,
    result,
    reservationId,
    context,
    model,
    charges,
    tally,
    now,
    true,
    snapshot.estimated,
    snapshot.rejectedFields,
  )
}

/** What a commit crossed (warnings posted and returned), and its events. */
function committed(
  engine: BudgetEngine,
  result: StoreCommitResult,
  reservationId: string | null,
  context: BudgetContext,
  model: string | undefined,
  charges: ResolvedCharge[],
  tally: Tally,
  now: number,
  reserved: boolean,
  estimated: boolean,
  rejectedFields: UsageSnapshot['rejectedFields'],
): SettleResult {
  let warnings: BudgetWarning[]
  // no states back (watchedOnly): no counter stands at a threshold, so none was crossed
  if (result.counters.length === 0) warnings = []
  else if (result.alreadyApplied === true) {
    // a retried settle whose first commit landed: nothing was added now; post what it crossed
    warnings = []
    if (engine.mode !== 'dry-run') engine.thresholds.catchUp(charges, result.counters)
  } else warnings = engine.thresholds.crossings(charges, result.counters, tally, context)
  if (warnings.length > 0) engine.board.prune(now)
  const eventId = reserved ? reservationId : null
  if (engine.events.has('settled')) {
    engine.events.emit('settled', {
      reservationId: eventId,
      context,
      model,
      usage: tally,
      estimated,
      at: now,
    })
  }
  if (rejectedFields !== undefined && engine.events.has('usageRejected')) {
    engine.events.emit('usageRejected', { reservationId: eventId, context, model, fields: rejectedFields })
  }
  return { warnings, usage: tally, costUsd: tally.costUsd }
}
