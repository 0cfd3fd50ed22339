export { budgetExceededErrorOf } from './budget-exceeded-error-of.ts'
export {
  type BudgetedOpenAI,
  type OpenAICompressionOptions,
  type WithBudgetOptions,
  withBudget,
} from './with-budget.ts'
