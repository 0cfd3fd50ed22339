import type { TokenEstimator } from '@tokenwarden/core'
import type { Endpoint } from './endpoint-of.ts'

/** Tokens counted for each message or input item (role and separators; OpenAI's chat format uses 3–4). */
const itemOverheadTokens = 4

/** Tokens counted for an inline attachment (image, audio or file data); a high-detail image tile is ~765. */
const attachmentTokens = 1024

/** Strings longer than this that start with `data:`, or sit under a binary key, count as an attachment. */
const attachmentMinLength = 256
const binaryKeys = new Set(['data', 'file_data', 'image_url', 'image_data'])
/** Body fields counted as their JSON text (tool definitions, output schemas, predicted output). */
const definitionKeys = ['tools', 'functions', 'response_format', 'text', 'prediction'] as const

/**
 * Estimates the input tokens of a request body with the budget's estimator: the text of the messages
 * or input items, instructions, tool definitions and output schemas. Inline attachments count a flat
 * amount. The text is never kept.
 *
 * @example
 * estimateRequestTokens('chat', { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }, budget.estimator) // 5
 */
export function estimateRequestTokens(
  endpoint: Endpoint,
  body: Record<string, unknown>,
  estimator: TokenEstimator,
): number {
  if (endpoint === 'embeddings') return countEmbeddingInput(body.input, estimator)
  let tokens = 0
  const items = endpoint === 'chat' ? body.messages : body.input
  if (Array.isArray(items)) {
    for (const item of items) tokens += itemOverheadTokens + countStrings(item, estimator, '')
  } else tokens += countStrings(items, estimator, '')
  tokens += countStrings(body.instructions, estimator, '')
  for (const key of definitionKeys) {
    if (body[key] != null) tokens += estimator.count(JSON.stringify(body[key]))
  }
  return tokens
}

function countEmbeddingInput(input: unknown, estimator: TokenEstimator): number {
  if (typeof input === 'string') return estimator.count(input)
  if (!Array.isArray(input)) return 0
  let tokens = 0
  for (const item of input) {
    if (typeof item === 'number') tokens++
    else if (Array.isArray(item)) tokens += item.length
    else if (typeof item === 'string') tokens += estimator.count(item)
  }
  return tokens
}

function countStrings(value: unknown, estimator: TokenEstimator, key: string): number {
  if (typeof value === 'string') {
    const attachment =
      value.length > attachmentMinLength && (binaryKeys.has(key) || value.startsWith('data:'))
    return attachment ? attachmentTokens : estimator.count(value)
  }
  if (value === null || typeof value !== 'object') return 0
  let tokens = 0
  if (Array.isArray(value)) {
    for (const item of value) tokens += countStrings(item, estimator, key)
    return tokens
  }
  for (const name in value) {
    if (name === 'type' || name === 'id' || name === 'call_id' || name === 'status') continue
    if (Object.hasOwn(value, name))
      tokens += countStrings((value as Record<string, unknown>)[name], estimator, name)
  }
  return tokens
}
