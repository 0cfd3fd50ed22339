/**
 * Who a call is for. Each key names a scope; limits of that scope apply to the value. Keys must be
 * scopes of the budget: the built-in ones (`global` takes no value) or custom ones declared in its
 * `scopes` option; another key is a `BudgetValidationError` naming it. Values are non-empty ids without
 * control characters. Only own properties count.
 *
 * @example
 * // with createBudget({ scopes: ['tenant'], … })
 * const ctx: BudgetContext = { agent: 'researcher', thread: 't-1', user: 'u-42', tenant: 'acme' }
 */
export interface BudgetContext {
  agent?: string
  thread?: string
  user?: string
  task?: string
  model?: string
  [scope: string]: string | undefined
}
