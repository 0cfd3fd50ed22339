export { budgetExceededMessageId } from './budget-exceeded-response.ts'
export { type BudgetedAnthropic, type WithBudgetOptions, withBudget } from './with-budget.ts'
