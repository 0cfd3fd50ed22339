import { TokenwardenError } from './tokenwarden-error.ts'

const name = 'tokenwarden.error.missing-scope'
const symbol = Symbol.for(name)

/**
 * Thrown when a limit applies to each value of a scope (a limit without `id`, such as
 * `{ scope: 'thread', tokens: 50_000 }`) and a call's context has no value for that scope: tokenwarden
 * refuses the call rather than let it through the limit. Pass the id (the message says how in each
 * adapter), or opt out with `onMissingScope: 'skip'` on the limit or the budget. Nothing was reserved.
 *
 * @example
 * try { await budget.reserve({ agent: 'researcher' }, request) } catch (error) {
 *   if (MissingScopeError.isInstance(error)) console.log(error.scope, error.limitName) // 'thread' 'thread/none'
 * }
 */
export class MissingScopeError extends TokenwardenError {
  protected readonly [symbol] = true
  /** The scope the context lacks, e.g. `thread` (`model` when the call names no model). */
  readonly scope: string
  /** The limit that needs it. */
  readonly limitName: string

  constructor({ scope, limitName, cause }: { scope: string; limitName: string; cause?: unknown }) {
    super({ code: 'missing_scope', message: missingScopeMessage(scope, limitName), cause })
    this.name = 'MissingScopeError'
    this.scope = scope
    this.limitName = limitName
  }

  static override isInstance(error: unknown): error is MissingScopeError {
    return TokenwardenError.hasMarker(error, name)
  }
}

function missingScopeMessage(scope: string, limitName: string): string {
  const ask = `the limit "${limitName}" counts per ${scope}`
  const skip = `or set onMissingScope: 'skip' on that limit or the budget to let such calls past it`
  if (scope === 'model') {
    return `${ask}, but the call names no model; pass the request's model (budget.reserve(ctx, { model, … })), ${skip}`
  }
  const id = JSON.stringify(scope)
  const key = /^[A-Za-z_$][\w$]*$/.test(scope) ? scope : id
  const langchain =
    scope === 'thread'
      ? "configurable: { thread_id } on a graph or agent run, metadata: { tokenwarden: { thread } } on any call, or the handler's / middleware's context"
      : `metadata: { tokenwarden: { ${key} } } on the call, or the handler's / middleware's context option`
  return (
    `${ask}, but the call's context has no ${id}. Pass it: ` +
    `core budget.reserve({ ${key}: … }, request); ` +
    `AI SDK providerOptions: { tokenwarden: { ${key} } } or budgetMiddleware({ budget, context }); ` +
    `OpenAI withBudget(client, { budget, context: { ${key} } }) or client.withContext({ ${key} }); ` +
    `LangChain ${langchain}; ${skip}`
  )
}
