export {
  type ReportedUsage,
  sanitizeUsage,
  type UsageEstimate,
} from '../usage/sanitize-usage.ts'
export { BudgetCall, type BudgetCallOptions, type BudgetCallState, startBudgetCall } from './budget-call.ts'
export {
  type CallBytes,
  type CallInput,
  type CallMessage,
  type CallPart,
  estimateCallInput,
} from './estimate-call-input.ts'
