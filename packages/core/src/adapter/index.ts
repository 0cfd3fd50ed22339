export {
  type ReportedUsage,
  sanitizeUsage,
  type UsageEstimate,
} from '../usage/sanitize-usage.ts'
export {
  applyCallPolicies,
  type CallPolicyOutcome,
  type CallPolicyRequest,
} from './apply-call-policies.ts'
export { applyMessageEdits } from './apply-message-edits.ts'
export type {
  AdapterCallOptions,
  BudgetAdapterOptions,
  ResolvedAdapterOptions,
} from './budget-adapter-options.ts'
export { BudgetCall, type BudgetCallState } from './budget-call.ts'
export {
  type ClientBudgeting,
  clientBudgeting,
  isClientStream,
  type ParseResponse,
  type StainlessClientClass,
  wrapApiPromise,
} from './client-budgeting.ts'
export type {
  MessageEdit,
  PolicyInput,
  PolicyMessage,
  SummaryRequest,
} from './compress-call-input.ts'
export {
  type CallBytes,
  type CallInput,
  type CallMessage,
  type CallPart,
  estimateCallInput,
} from './estimate-call-input.ts'
export { exceededAnswer, exceededResponse, type ServerSentEvent } from './exceeded-answer.ts'
export { mergeCallContext } from './merge-call-context.ts'
export { meterClientStream } from './meter-client-stream.ts'
export { type BudgetCallOptions, startBudgetCall } from './start-budget-call.ts'
export { type AdapterOptionsSettings, validateAdapterOptions } from './validate-adapter-options.ts'
