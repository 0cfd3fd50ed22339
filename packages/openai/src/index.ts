export { budgetExceededErrorOf } from './budget-exceeded-error-of.ts'
export { budgetExceededId } from './budget-exceeded-response.ts'
export {
  type BudgetedOpenAI,
  type OpenAICompressionOptions,
  type WithBudgetOptions,
  withBudget,
} from './with-budget.ts'
