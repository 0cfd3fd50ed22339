export type { Budget, BudgetOptions, Reservation, ReserveRequest, SettleResult } from './budget/budget.ts'
export type { BudgetContext } from './budget/budget-context.ts'
export type { ChildAllotment, ChildBudget, ChildBudgetResult } from './budget/child-budget.ts'
export { createBudget } from './budget/create-budget.ts'
export type { BudgetGrant, GrantResult } from './budget/grant-allowance.ts'
export { historyBucketMs, historyCounterPrefix } from './budget/history-charges.ts'
export type { AllotmentCaps } from './budget/hold-allotment.ts'
export { type BudgetExceededDetails, BudgetExceededError } from './errors/budget-exceeded-error.ts'
export { BudgetValidationError } from './errors/budget-validation-error.ts'
export { InvalidPriceError } from './errors/invalid-price-error.ts'
export { MissingScopeError } from './errors/missing-scope-error.ts'
export { ReservationClosedError } from './errors/reservation-closed-error.ts'
export {
  type ReservationOverrunDetails,
  ReservationOverrunError,
} from './errors/reservation-overrun-error.ts'
export { StoreUnavailableError } from './errors/store-unavailable-error.ts'
export { TokenwardenError } from './errors/tokenwarden-error.ts'
export { UnknownPriceError } from './errors/unknown-price-error.ts'
export { UnsupportedRuntimeError } from './errors/unsupported-runtime-error.ts'
export { estimateTokens, heuristicEstimator } from './estimation/estimate-tokens.ts'
export type { TokenEstimator } from './estimation/token-estimator.ts'
export type { BudgetEventName, BudgetEvents, BudgetMode } from './events/budget-events.ts'
export { formatAmount, formatQuantity, unitLabel } from './format/format-amount.ts'
export { formatStatus } from './format/format-status.ts'
export { formatWarning, type WarningFields } from './format/format-warning.ts'
export { builtInScopes } from './limits/built-in-scopes.ts'
export type { LimitConfig, Rollover, Scope } from './limits/limit-config.ts'
export { type LimitUnit, limitUnits } from './limits/limit-unit.ts'
export { defaultThresholds, type Severity, type Threshold } from './limits/threshold.ts'
export { describePeriod } from './periods/describe-period.ts'
export { type Duration, parseDuration } from './periods/parse-duration.ts'
export type { Period } from './periods/period.ts'
export {
  type CompressionLevel,
  type CompressionOptions,
  type CompressionStrategy,
  defaultCompressionLevels,
  type ResolvedCompressionOptions,
  resolveCompressionOptions,
} from './policies/compression-options.ts'
export {
  chooseDowngrade,
  type DowngradeLevel,
  validateDowngradeLevels,
} from './policies/downgrade-options.ts'
export { isLowSignalText } from './policies/is-low-signal-text.ts'
export {
  type CompressionPlan,
  type MessageAction,
  type PlanCompressionRequest,
  type PlanMessage,
  planCompression,
} from './policies/plan-compression.ts'
export { type CompressionEvent, compressionEvent, type DowngradeEvent } from './policies/policy-events.ts'
export { reportPolicyEvent } from './policies/report-policy-event.ts'
export {
  type BudgetPolicyOptions,
  type ResolvedBudgetPolicies,
  resolveBudgetPolicies,
} from './policies/resolve-budget-policies.ts'
export { selectLevel } from './policies/select-level.ts'
export {
  summaryInstructions,
  summaryMessageText,
  summaryTranscript,
  type TranscriptEntry,
} from './policies/summary-prompt.ts'
export { truncateToTokens, truncationMarker } from './policies/truncate-to-tokens.ts'
export { usageLevel } from './policies/usage-level.ts'
export type { ModelPrice, PriceSource } from './prices/price-source.ts'
export { priceUsage, staticPrices } from './prices/static-prices.ts'
export type { HealthReport, Spender } from './reports/health-report.ts'
export type { LimitStatus } from './reports/limit-status.ts'
export {
  type AllocateRequest,
  ContextScheduler,
  type ContextSchedulerOptions,
} from './scheduler/context-scheduler.ts'
export type {
  AgentHealth,
  ContextWindow,
  SchedulerHealthReport,
  WindowUsage,
} from './scheduler/context-window.ts'
export { minimumGrants, Priority } from './scheduler/priority.ts'
export type { AgentSignal, SignalEvent, SignalHandlerError } from './signals/agent-signal.ts'
export { type SignalHandlers, SignalHub } from './signals/signal-hub.ts'
export type {
  BudgetStore,
  CounterCharge,
  CounterState,
  StoreCommitRequest,
  StoreCommitResult,
  StoreDenial,
  StoreGrantRequest,
  StoreGrantResult,
  StoreReserveRequest,
  StoreReserveResult,
} from './stores/budget-store.ts'
export { type CounterKeyParts, decodeCounterKey, encodeCounterKey } from './stores/counter-key.ts'
export {
  emptyCounterState,
  tallyFieldCount,
  tallyToVector,
  unitIndex,
  vectorsToState,
} from './stores/counter-vector.ts'
export { type FailPolicyOptions, failPolicy, type StoreUnavailableEvent } from './stores/fail-policy.ts'
export { type MemoryStoreOptions, memoryStore } from './stores/memory-store.ts'
export {
  TokenBudgetTracker,
  type TokenBudgetTrackerOptions,
  type TrackerStatus,
} from './tracker/token-budget-tracker.ts'
export { emptyTally, type Tally, tallyFields, tallyFromArray, tallyToArray } from './usage/tally.ts'
export type { TokenUsage } from './usage/token-usage.ts'
export type { BudgetWarning } from './warnings/budget-warning.ts'
