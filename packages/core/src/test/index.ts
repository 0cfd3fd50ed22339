export { type TestBudgetStoreOptions, testBudgetStore } from './test-budget-store.ts'
