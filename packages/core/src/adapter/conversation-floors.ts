import type { Budget } from '../budget/budget.ts'

/** Chains remembered per budget (the oldest is forgotten first). */
const maxChains = 1_000

const floors = new WeakMap<Budget, Map<string, number>>()

/**
 * The tokens the last finished call of a conversation or response chain really used (its input plus
 * its output, which the next call of the chain carries as input), or 0 when unknown.
 */
export function conversationFloor(budget: Budget, conversation: string): number {
  const chains = floors.get(budget)
  const floor = chains?.get(conversation)
  if (floor === undefined) return 0
  chains!.delete(conversation) // most recently used last
  chains!.set(conversation, floor)
  return floor
}

/** Remembers what a chain's last call used (bounded: the least recently used chain is forgotten). */
export function rememberConversation(budget: Budget, conversation: string, tokens: number): void {
  let chains = floors.get(budget)
  if (chains === undefined) {
    chains = new Map()
    floors.set(budget, chains)
  }
  chains.delete(conversation)
  chains.set(conversation, tokens)
  if (chains.size > maxChains) chains.delete(chains.keys().next().value!)
}
