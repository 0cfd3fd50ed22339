import type { LanguageModelV4Prompt } from '@ai-sdk/provider'

/**
 * Returns a copy of the prompt with a system message inserted after its leading system messages (the
 * caller's instructions stay first; providers that reject a system message elsewhere accept it there).
 *
 * @example
 * injectSystemMessage([{ role: 'system', content: 'Be brief.' }, userMessage], 'Budget: 80% used.')
 * // [{ role: 'system', content: 'Be brief.' }, { role: 'system', content: 'Budget: 80% used.' }, userMessage]
 */
export function injectSystemMessage(prompt: LanguageModelV4Prompt, content: string): LanguageModelV4Prompt {
  let index = 0
  while (index < prompt.length && prompt[index]!.role === 'system') index++
  return [...prompt.slice(0, index), { role: 'system', content }, ...prompt.slice(index)]
}
