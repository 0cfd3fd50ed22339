import type { TokenEstimator } from '../estimation/token-estimator.ts'

/**
 * A neutral description of a model call's input, for {@link estimateCallInput} and `startBudgetCall`:
 * what every adapter maps its framework's request onto. Text is counted, never kept.
 *
 * @example
 * const input: CallInput = {
 *   messages: ['You are terse.', [{ type: 'text', text: 'Describe this.' }, { type: 'image', data: pngBytes }]],
 *   tools: [{ name: 'search', parameters: { type: 'object' } }],
 * }
 */
export interface CallInput {
  /** One entry per message: its text, or its parts. Each message also counts a fixed overhead. */
  messages: readonly CallMessage[]
  /** The full tool definitions (name, description, schema), counted as JSON. */
  tools?: readonly unknown[]
  /** The structured-output schema, counted as JSON. */
  responseSchema?: unknown
  /**
   * The conversation or response chain this call continues (a Responses `previous_response_id` or
   * `conversation`): its input is floored by what the chain's last call really used.
   */
  conversation?: string
}

/**
 * A message of a {@link CallInput}: its text, or its parts, bare or as a message's `content` (so a
 * framework's `{ role, content }` messages of text parts pass as they are).
 *
 * @example
 * const message: CallMessage = [{ type: 'text', text: 'What is in this picture?' }, { type: 'image', width: 800, height: 600 }]
 */
export type CallMessage = string | readonly CallPart[] | { content: string | readonly CallPart[] }

/**
 * A part of a message. Any part with a `text` string counts its text (so a framework's own
 * `{ type: 'text' | 'reasoning', text }` parts pass as they are); a tool call counts its name with its
 * arguments (`text`), a tool result its name and its text (the text that compression may truncate);
 * `json` counts its value as JSON; images are sized from their dimensions, or from the PNG/JPEG header
 * of their bytes; files and audio from their bytes (or, for audio, seconds); a part of unknown size
 * counts a flat amount.
 *
 * @example
 * const part: CallPart = { type: 'file', data: pdfBytes, mediaType: 'application/pdf' }
 * const result: CallPart = { type: 'tool-result', name: 'search', text: 'Q3 revenue was $4.2M.' }
 */
export type CallPart =
  | string
  | { type: string; text: string }
  | { type: 'tool-call'; name: string; text: string }
  | { type: 'tool-result'; name?: string; text: string }
  | { type: 'json'; value: unknown }
  | { type: 'image'; width?: number; height?: number; data?: CallBytes }
  | { type: 'file'; data?: CallBytes; mediaType?: string }
  | { type: 'audio'; seconds?: number; data?: CallBytes }

/**
 * Binary content: bytes, or a base64 string (a URL has no known size).
 *
 * @example
 * const data: CallBytes = new Uint8Array(await file.arrayBuffer())
 */
export type CallBytes = Uint8Array | ArrayBuffer | string | URL

/** Tokens counted for each message's role and separators (OpenAI's chat format uses 3–4). */
export const messageOverheadTokens = 4
/** Tokens of a part whose size is unknown (an image tile at high detail is ~765 for OpenAI). */
const flatTokens = 1024
/** Tokens per byte of a binary document (≈ 1,500 tokens for a 50 kB PDF page). */
const documentTokensPerByte = 0.03
/** Tokens per second of audio (OpenAI: one per 100 ms), and bytes per second assumed (128 kbit/s). */
const audioTokensPerSecond = 10
const audioBytesPerSecond = 16_000

/**
 * Estimates a call's input tokens with one rule set for every adapter: each message's text plus a
 * fixed overhead, JSON parts, images (OpenAI's high-detail tile rule, 85 + 170 per 512 px tile),
 * binary files and audio sized from their bytes, full tool definitions and the output schema.
 *
 * @example
 * import { estimateCallInput } from '@tokenwarden/core/adapter'
 * estimateCallInput({ messages: ['Say hello'] }, budget.estimator) // 7
 */
export function estimateCallInput(input: CallInput, estimator: TokenEstimator): number {
  let tokens = 0
  for (const message of input.messages) tokens += estimateCallMessage(message, estimator)
  if (input.tools !== undefined) for (const tool of input.tools) tokens += estimator.count(stringify(tool))
  if (input.responseSchema !== undefined) tokens += estimator.count(stringify(input.responseSchema))
  return tokens
}

/**
 * @internal One message's tokens under {@link estimateCallInput}'s rules, overhead included.
 *
 * @example
 * estimateCallMessage({ role: 'user', content: 'Say hello' }, budget.estimator) // 7
 */
export function estimateCallMessage(message: CallMessage, estimator: TokenEstimator): number {
  let tokens = messageOverheadTokens
  const content = contentOf(message)
  if (typeof content === 'string') tokens += estimator.count(content)
  else for (const part of content) tokens += estimateCallPart(part, estimator)
  return tokens
}

/**
 * @internal The parts (or text) of a message.
 *
 * @example
 * contentOf({ role: 'user', content: 'Hi' }) // 'Hi'
 */
export function contentOf(message: CallMessage): string | readonly CallPart[] {
  return typeof message === 'string' || Array.isArray(message)
    ? (message as string | readonly CallPart[])
    : (message as { content: string | readonly CallPart[] }).content
}

/**
 * @internal One part's tokens under {@link estimateCallInput}'s rules.
 *
 * @example
 * estimateCallPart({ type: 'tool-result', name: 'search', text: result }, budget.estimator)
 */
export function estimateCallPart(part: CallPart, estimator: TokenEstimator): number {
  if (typeof part === 'string') return estimator.count(part)
  const { text } = part as { text?: unknown }
  if (typeof text === 'string') {
    const { name } = part as { name?: unknown }
    if (typeof name !== 'string') return estimator.count(text)
    if (part.type === 'tool-call') return estimator.count(name + text)
    if (part.type === 'tool-result') return estimator.count(name) + estimator.count(text)
    return estimator.count(text)
  }
  switch (part.type) {
    case 'json':
      return estimator.count(stringify((part as { value: unknown }).value))
    case 'image': {
      const image = part as { width?: number; height?: number; data?: CallBytes }
      const size =
        image.width !== undefined && image.height !== undefined
          ? { width: image.width, height: image.height }
          : imageDimensions(image.data)
      return size === undefined ? flatTokens : imageTokens(size.width, size.height)
    }
    case 'file': {
      const bytes = byteLength((part as { data?: CallBytes }).data)
      return bytes === undefined ? flatTokens : Math.max(flatTokens, Math.ceil(bytes * documentTokensPerByte))
    }
    case 'audio': {
      const audio = part as { seconds?: number; data?: CallBytes }
      const bytes = byteLength(audio.data)
      const seconds = audio.seconds ?? (bytes === undefined ? undefined : bytes / audioBytesPerSecond)
      return seconds === undefined || !(seconds >= 0) ? flatTokens : Math.ceil(seconds * audioTokensPerSecond)
    }
    default:
      return 0
  }
}

/** OpenAI's high-detail rule: fit in 2048², shortest side to 768, then 85 + 170 per 512 px tile. */
function imageTokens(width: number, height: number): number {
  if (!(width > 0 && height > 0)) return flatTokens
  let scale = Math.min(1, 2048 / Math.max(width, height))
  scale = Math.min(scale, 768 / (Math.min(width, height) * scale)) * scale
  const tiles = Math.ceil((width * scale) / 512) * Math.ceil((height * scale) / 512)
  return 85 + 170 * tiles
}

function byteLength(data: CallBytes | undefined): number | undefined {
  if (data === undefined || data instanceof URL) return undefined
  if (typeof data === 'string') return data.startsWith('http') ? undefined : Math.floor((data.length * 3) / 4)
  return data.byteLength
}

/** Width and height from a PNG or JPEG header; `undefined` for other data. */
function imageDimensions(data: CallBytes | undefined): { width: number; height: number } | undefined {
  if (data === undefined || typeof data === 'string' || data instanceof URL) return undefined
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
  if (
    bytes.length >= 24 &&
    bytes[0] === 0x89 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x4e &&
    bytes[3] === 0x47
  ) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    return { width: view.getUint32(16), height: view.getUint32(20) }
  }
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined
  let offset = 2
  while (offset + 9 < bytes.length && bytes[offset] === 0xff) {
    const marker = bytes[offset + 1]!
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return {
        height: (bytes[offset + 5]! << 8) | bytes[offset + 6]!,
        width: (bytes[offset + 7]! << 8) | bytes[offset + 8]!,
      }
    }
    offset += 2 + length
  }
  return undefined
}

function stringify(value: unknown): string {
  if (value === undefined) return ''
  if (typeof value === 'string') return value
  try {
    return JSON.stringify(value) ?? ''
  } catch {
    return ''
  }
}
