import type { CompressionStrategy, ResolvedCompressionOptions } from './compression-options.ts'
import { selectLevel } from './select-level.ts'

/** One message of a request as the planner sees it: its role and estimated tokens, never its text. */
export interface PlanMessage {
  role: 'system' | 'user' | 'assistant' | 'tool'
  /** Estimated tokens of the message, overhead included. */
  tokens: number
  /** A short acknowledgement or empty turn (see `isLowSignalText`). @default false */
  lowSignal?: boolean
  /** A tool result whose text may be shortened. @default role === 'tool' */
  truncatable?: boolean
}

/** What happens to one message. `toTokens` is the size to truncate it to (also before summarizing). */
export type MessageAction =
  | { type: 'keep' }
  | { type: 'truncate'; toTokens: number }
  | { type: 'drop'; reason: 'low-signal' | 'oldest' }
  | { type: 'summarize'; toTokens?: number }

/** How a request is fitted to its target; `actions[i]` is the action of `messages[i]`. */
export interface CompressionPlan {
  level: string
  usage: number
  targetTokens: number
  /** Estimated input tokens before (messages plus `fixedTokens`). */
  originalTokens: number
  /** Estimated input tokens after, the summary counted at `summaryMaxTokens`. */
  plannedTokens: number
  /** True when the plan reaches the target (the kept system messages and latest turns may not allow it). */
  fits: boolean
  actions: MessageAction[]
  /** Indices of the messages to summarize (oldest first); empty when none. */
  summarized: number[]
  /** The strategies that changed something, in order. */
  applied: CompressionStrategy[]
}

/** What {@link planCompression} needs. */
export interface PlanCompressionRequest {
  options: ResolvedCompressionOptions
  /** The context's usage (see `usageLevel`). */
  usage: number
  messages: readonly PlanMessage[]
  /** Input tokens outside the messages (tool definitions, schemas). @default 0 */
  fixedTokens?: number
  /** Whether a summarizer model is available (otherwise `summarize` is skipped). @default false */
  canSummarize?: boolean
}

/** Tokens of the summary message's role and separators. */
const summaryOverheadTokens = 4

/**
 * Plans how to fit a request to the target size of the usage level its context reached: which
 * messages to drop, truncate or summarize, given their roles and token estimates. System messages, the
 * latest `keepLatestTurns` turns and the latest user message are never touched; an assistant message
 * and the tool results after it form one turn and are dropped or summarized together. Returns
 * `undefined` when no level applies or the request already fits.
 *
 * @example
 * const plan = planCompression({ options: resolveCompressionOptions(true, 'compression'), usage: 0.93, messages })
 * plan?.actions // [{ type: 'keep' }, { type: 'summarize' }, …, { type: 'truncate', toTokens: 120 }, { type: 'keep' }]
 */
export function planCompression(request: PlanCompressionRequest): CompressionPlan | undefined {
  const { options, usage, messages, fixedTokens = 0, canSummarize = false } = request
  const level = selectLevel(options.levels, usage)
  if (level === undefined) return undefined
  const originalTokens = fixedTokens + sum(messages.map((message) => message.tokens))
  if (originalTokens < options.minInputTokens) return undefined
  const targetTokens = Math.min(level.targetTokens, Math.floor(level.targetRatio * originalTokens))
  if (originalTokens <= targetTokens) return undefined

  const sizes = messages.map((message) => message.tokens)
  const actions: MessageAction[] = messages.map(() => ({ type: 'keep' }))
  const turns = turnsOf(messages, options.keepLatestTurns)
  const applied: CompressionStrategy[] = []
  let summaryTokens = 0
  const total = () => fixedTokens + summaryTokens + sumLive(sizes, actions)
  const fits = () => total() <= targetTokens

  for (const strategy of level.strategies) {
    if (fits()) break
    const before = total()
    if (strategy === 'drop-low-signal') {
      for (const turn of turns) {
        if (fits()) break
        if (!turn.protected && turn.indices.every((index) => messages[index]!.lowSignal === true)) {
          dropTurn(turn, actions, 'low-signal')
        }
      }
    } else if (strategy === 'truncate-tool-results') {
      truncateLongest(messages, turns, sizes, actions, total() - targetTokens, options.minToolResultTokens)
    } else if (strategy === 'summarize' && canSummarize) {
      summaryTokens = summarizeOldest(turns, sizes, actions, total() - targetTokens, options.summaryMaxTokens)
    } else if (strategy === 'drop-oldest') {
      for (const turn of turns) {
        if (fits()) break
        if (!turn.protected && isLive(turn, actions)) dropTurn(turn, actions, 'oldest')
      }
    }
    if (total() < before) applied.push(strategy)
  }
  const summarized = actions.flatMap((action, index) => (action.type === 'summarize' ? [index] : []))
  return {
    level: level.name,
    usage,
    targetTokens,
    originalTokens,
    plannedTokens: total(),
    fits: fits(),
    actions,
    summarized,
    applied,
  }
}

interface Turn {
  indices: number[]
  protected: boolean
}

/** Splits the non-system messages into turns, oldest first, and marks the ones to keep intact. */
function turnsOf(messages: readonly PlanMessage[], keepLatestTurns: number): Turn[] {
  const turns: Turn[] = []
  messages.forEach((message, index) => {
    if (message.role === 'system') return
    const last = turns.at(-1)
    if (message.role === 'tool' && last !== undefined) last.indices.push(index)
    else turns.push({ indices: [index], protected: false })
  })
  turns.slice(Math.max(0, turns.length - keepLatestTurns)).forEach((turn) => {
    turn.protected = true
  })
  const lastUser = turns.findLast((turn) => messages[turn.indices[0]!]!.role === 'user')
  if (lastUser !== undefined) lastUser.protected = true
  return turns
}

/** Lowers the largest truncatable tool results to a common cap until `excess` tokens are saved. */
function truncateLongest(
  messages: readonly PlanMessage[],
  turns: readonly Turn[],
  sizes: number[],
  actions: MessageAction[],
  excess: number,
  floor: number,
): void {
  const candidates = turns
    .filter((turn) => !turn.protected && isLive(turn, actions))
    .flatMap((turn) => turn.indices)
    .filter(
      (index) => (messages[index]!.truncatable ?? messages[index]!.role === 'tool') && sizes[index]! > floor,
    )
  if (candidates.length === 0) return
  const saved = (cap: number) => sum(candidates.map((index) => Math.max(0, sizes[index]! - cap)))
  // The highest cap that saves enough (or the floor when nothing does).
  let low = floor
  let high = Math.max(...candidates.map((index) => sizes[index]!))
  while (low < high) {
    const cap = Math.ceil((low + high) / 2)
    if (saved(cap) >= excess) low = cap
    else high = cap - 1
  }
  for (const index of candidates) {
    if (sizes[index]! > low) {
      sizes[index] = low
      actions[index] = { type: 'truncate', toTokens: low }
    }
  }
}

/** Marks the oldest live turns for summarizing until the savings pass `excess`; returns the summary's size. */
function summarizeOldest(
  turns: readonly Turn[],
  sizes: readonly number[],
  actions: MessageAction[],
  excess: number,
  summaryMaxTokens: number,
): number {
  const summarySize = summaryMaxTokens + summaryOverheadTokens
  const chosen: Turn[] = []
  let removed = 0
  for (const turn of turns) {
    if (turn.protected || !isLive(turn, actions)) continue
    chosen.push(turn)
    removed += sum(turn.indices.map((index) => sizes[index]!))
    if (removed - summarySize >= excess) break
  }
  if (removed <= summarySize) return 0 // a summary would not save anything
  for (const turn of chosen) {
    for (const index of turn.indices) {
      const action = actions[index]!
      actions[index] =
        action.type === 'truncate' ? { type: 'summarize', toTokens: action.toTokens } : { type: 'summarize' }
    }
  }
  return summarySize
}

function dropTurn(turn: Turn, actions: MessageAction[], reason: 'low-signal' | 'oldest'): void {
  for (const index of turn.indices) actions[index] = { type: 'drop', reason }
}

function isLive(turn: Turn, actions: readonly MessageAction[]): boolean {
  const type = actions[turn.indices[0]!]!.type
  return type !== 'drop' && type !== 'summarize'
}

function sumLive(sizes: readonly number[], actions: readonly MessageAction[]): number {
  let total = 0
  sizes.forEach((size, index) => {
    const type = actions[index]!.type
    if (type !== 'drop' && type !== 'summarize') total += size
  })
  return total
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0)
}
