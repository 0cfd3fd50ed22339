/**
 * The scopes every budget knows. Others are declared with the budget's `scopes` option.
 *
 * @example
 * builtInScopes.includes('thread') // true
 */
export const builtInScopes: readonly string[] = ['global', 'model', 'agent', 'thread', 'user', 'task']
