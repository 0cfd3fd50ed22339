import { createMiddleware } from './src/agents/middleware.js'

const mode = process.env.TW_WRAP
if (mode === 'noop') {
  ;(globalThis as any).__twMiddleware = createMiddleware({
    name: 'twNoop',
    wrapModelCall: (request: any, handler: any) => handler(request),
  })
} else if (mode === 'budget') {
  const core = await import(process.env.TW_CORE!)
  const lc = await import(process.env.TW_LC!)
  const budget = core.createBudget({
    limits: [{ scope: 'global', tokens: Number(process.env.TW_LIMIT ?? 1e12) }],
  })
  const make = lc.agentBudgetMiddleware ?? lc.budgetMiddleware
  ;(globalThis as any).__twMiddleware = make({ budget })
}
