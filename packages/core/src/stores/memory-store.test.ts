import { testBudgetStore } from '../test/index.ts'
import { memoryStore } from './memory-store.ts'

testBudgetStore({ name: 'memory', createStore: () => memoryStore() })
