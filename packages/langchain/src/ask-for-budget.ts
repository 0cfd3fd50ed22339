import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons'
import {
  type Budget,
  type BudgetContext,
  BudgetExceededError,
  BudgetValidationError,
  type LimitUnit,
  limitUnits,
} from '@tokenwarden/core'

/**
 * The value of the LangGraph interrupt that pauses an agent run (`onExceeded: 'interrupt'`) when the
 * budget cannot afford the next model call: the refusal's figures (`BudgetExceededError.toJSON()`:
 * `scope`, `scopeId`, `limitName`, `unit`, `limit`, `used`, `reserved`, `remaining`, `requested`,
 * `period`, `resetsAt`, …), how much is missing, and a line for people. Contains no prompt text.
 *
 * @example
 * const result = await agent.invoke(input, config)
 * const paused = result.__interrupt__?.[0]?.value as BudgetInterrupt | undefined
 * if (paused?.code === 'budget_exceeded') console.log(paused.message, paused.shortfall, paused.unit)
 */
export type BudgetInterrupt = ReturnType<BudgetExceededError['toJSON']> & {
  /** What the next call lacks: `requested - remaining`, in `unit` (never below 0). */
  shortfall: number
  /** The refusal and how to answer it, for people. */
  message: string
}

/**
 * How to answer a {@link BudgetInterrupt}: `agent.invoke(new Command({ resume }), config)` with
 * `{ extend: { tokens: 5000 } }` (any of `tokens`, `inputTokens`, `outputTokens`, `costUsd`,
 * `requests`) to raise the allowance of the scope that refused (for its current period) and retry, or
 * `{ stop: true }` to end the run with an AI message saying why. Anything else is refused with a
 * `BudgetValidationError` naming the field; the interrupt can then be answered again.
 *
 * @example
 * await agent.invoke(new Command({ resume: { extend: { tokens: 5000 } } satisfies BudgetResume }), config)
 */
export type BudgetResume = { extend: Partial<Record<LimitUnit, number>> } | { stop: true }

/**
 * Starts a model call's budget call; while the budget refuses it, pauses the run with a LangGraph
 * `interrupt()` carrying a {@link BudgetInterrupt}, grants what the answer allows (`budget.grant` on the
 * refusing scope) and tries again. Throws the last `BudgetExceededError` when the answer is `stop`, and
 * the `BudgetValidationError` of a malformed answer.
 *
 * LangGraph re-runs the whole step on resume and replays every earlier answer, in order, before the new
 * one. The earlier ones were handled by the earlier runs of the step (granted, or reported as malformed),
 * under a budget that has changed since, so they are skipped: only the last answer is applied, to the
 * refusal at hand. Its grant id (thread, the step's checkpoint namespace, the answer's position) makes
 * a step re-run without a new answer grant nothing more.
 *
 * @example
 * const call = await askForBudget(budget, context, () => startBudgetCall(budget, request))
 */
export async function askForBudget<Call>(
  budget: Budget,
  context: BudgetContext,
  start: () => Promise<Call>,
): Promise<Call> {
  let answers = 0 // answers this step has taken so far
  for (;;) {
    try {
      return await start()
    } catch (error) {
      if (!BudgetExceededError.isInstance(error)) throw error
      const { interrupt, isGraphInterrupt } = await loadLangGraph()
      const value = budgetInterrupt(error)
      let answer: unknown = interrupt(value) // no answer yet: the run pauses here
      for (;;) {
        let next: unknown
        try {
          next = interrupt(value) // a later answer, or none (then this one is the new one)
        } catch (thrown) {
          // No later answer: interrupt() records nothing until its GraphInterrupt reaches LangGraph.
          if (isGraphInterrupt(thrown)) break
          throw thrown
        }
        answer = next
        answers++
      }
      const position = answers++
      const resume = readResume(answer)
      if (BudgetValidationError.isInstance(resume)) throw resume // the run fails; answer again
      if ('stop' in resume) throw error
      await budget.grant(context, { ...resume.extend, scope: error.scope, id: grantId(position) })
    }
  }
}

type LangGraph = typeof import('@langchain/langgraph')
let langGraph: Promise<LangGraph> | undefined

/** Loaded on the first refusal only: importing this package loads neither langchain nor LangGraph. */
function loadLangGraph(): Promise<LangGraph> {
  langGraph ??= import('@langchain/langgraph').catch((cause: unknown) => {
    langGraph = undefined
    throw new BudgetValidationError({
      field: 'onExceeded',
      value: 'interrupt',
      reason: "'interrupt' needs @langchain/langgraph: install it beside langchain",
      cause,
    })
  })
  return langGraph
}

function budgetInterrupt(error: BudgetExceededError): BudgetInterrupt {
  const shortfall = Math.max(0, error.requested - error.remaining)
  // Rounded up so that the suggested answer is enough (USD to the millionth).
  const suggested = error.unit === 'costUsd' ? Math.ceil(shortfall * 1e6 - 1e-6) / 1e6 : Math.ceil(shortfall)
  const message = `${error.message}. Resume with { extend: { ${error.unit}: ${suggested} } } or more to continue, or { stop: true } to end the run.`
  return { ...error.toJSON(), shortfall, message }
}

const units: readonly string[] = limitUnits
const expected = 'expected { extend: { tokens: … } } or { stop: true }'

/** The answer, or the error naming what is wrong with it. */
function readResume(value: unknown): BudgetResume | BudgetValidationError {
  const invalid = (field: string, given: unknown, reason: string) =>
    new BudgetValidationError({ field, value: given, reason })
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return invalid('resume', value, expected)
  const { extend, stop, ...rest } = value as { extend?: unknown; stop?: unknown }
  const [other] = Object.keys(rest)
  if (other !== undefined)
    return invalid(`resume.${other}`, (rest as Record<string, unknown>)[other], expected)
  if (stop !== undefined) {
    if (stop !== true) return invalid('resume.stop', stop, 'expected true')
    if (extend !== undefined) return invalid('resume', value, 'expected either extend or stop, not both')
    return { stop: true }
  }
  if (extend === undefined) return invalid('resume', value, expected)
  if (extend === null || typeof extend !== 'object' || Array.isArray(extend))
    return invalid('resume.extend', extend, `expected an object of ${units.join(', ')}`)
  const entries = Object.entries(extend)
  if (entries.length === 0) return invalid('resume.extend', extend, `expected one of ${units.join(', ')}`)
  for (const [unit, amount] of entries) {
    const field = `resume.extend.${unit}`
    if (!units.includes(unit)) return invalid(field, amount, `expected one of ${units.join(', ')}`)
    if (unit === 'costUsd') {
      if (!(typeof amount === 'number' && amount > 0 && amount < Number.POSITIVE_INFINITY))
        return invalid(field, amount, 'expected an amount > 0')
    } else if (!(Number.isInteger(amount) && (amount as number) >= 1))
      return invalid(field, amount, 'expected a whole number ≥ 1')
  }
  return { extend: extend as Partial<Record<LimitUnit, number>> }
}

/** The same for every run of this step's n-th answer, distinct for every other answer. */
function grantId(index: number): string {
  const configurable = AsyncLocalStorageProviderSingleton.getRunnableConfig()?.configurable
  const thread = configurable?.thread_id
  const namespace = configurable?.checkpoint_ns ?? configurable?.__pregel_task_id
  // interrupt() returned, so this runs in a checkpointed graph task, which has both.
  if (thread === undefined || typeof namespace !== 'string')
    throw new Error('[tokenwarden] [langchain] a budget answer outside a checkpointed LangGraph task')
  return `tokenwarden.interrupt:${String(thread)}:${namespace}:${index}`
}
