/**
 * Who a call is for. Each key names a scope; limits of that scope apply to the value. Custom scopes are
 * any other keys.
 *
 * @example
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
