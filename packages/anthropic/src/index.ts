export { type BudgetedAnthropic, type WithBudgetOptions, withBudget } from './with-budget.ts'
