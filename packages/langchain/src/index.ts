export { BudgetCallbackHandler, type BudgetCallbackHandlerOptions } from './budget-callback-handler.ts'
export { tokenUsageFromLegacy, tokenUsageFromMessage } from './token-usage-from-message.ts'
