export type { OpenAICompressionOptions } from './apply-budget-policies.ts'
export { budgetExceededErrorOf } from './budget-exceeded-error-of.ts'
export { type BudgetedOpenAI, type WithBudgetOptions, withBudget } from './with-budget.ts'
