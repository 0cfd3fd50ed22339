/**
 * A signal about an agent's budget: `SIGWARN` when its usage crosses the warn threshold (once per
 * crossing), `SIGSTOP` when it reaches 100 % (the agent is halted), `SIGRESUME` when its budget was
 * replenished or raised and it may run again.
 *
 * @example
 * scheduler.on('SIGSTOP', (event: SignalEvent) => console.log(event.agentId, 'halted'))
 */
export type AgentSignal = 'SIGWARN' | 'SIGSTOP' | 'SIGRESUME'

/**
 * What a signal handler receives.
 *
 * @example
 * const onWarn = (event: SignalEvent) => console.log(`${event.agentId}: ${Math.round(event.utilization * 100)}%`)
 */
export interface SignalEvent {
  signal: AgentSignal
  agentId: string
  /** Tokens the agent used. */
  used: number
  /** The agent's window. */
  total: number
  remaining: number
  /** used / total (0 … 1, may pass 1). */
  utilization: number
}

/**
 * A handler threw; the scheduler went on.
 *
 * @example
 * scheduler.on('handlerError', ({ signal, error }: SignalHandlerError) => log.error(signal, error))
 */
export interface SignalHandlerError {
  signal: AgentSignal
  agentId: string
  error: unknown
}
