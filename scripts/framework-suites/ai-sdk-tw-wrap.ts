import { wrapLanguageModel } from '../middleware/wrap-language-model'

const mode = process.env.TW_WRAP
let middleware: any
if (mode === 'budget') {
  const core = await import(process.env.TW_CORE!)
  const sdk = await import(process.env.TW_AISDK!)
  const budget = core.createBudget({
    limits: [{ scope: 'global', tokens: Number(process.env.TW_LIMIT ?? 1e12) }],
  })
  middleware = sdk.budgetMiddleware({ budget })
} else if (mode === 'noop') {
  middleware = { specificationVersion: 'v4' }
}
const cache = new WeakMap<object, any>()
export function twWrap<T extends object>(model: T): T {
  if (middleware === undefined) return model
  let wrapped = cache.get(model)
  if (wrapped === undefined) {
    wrapped = wrapLanguageModel({ model: model as any, middleware })
    cache.set(model, wrapped)
    cache.set(wrapped, wrapped)
  }
  return wrapped
}
