/**
 * A fast, dependency-free token estimate, tuned to err on the high side for English and code with
 * GPT-style tokenizers: about 4 ASCII characters per token, 2 other Latin/Cyrillic/… characters per
 * token, and one token per CJK character or emoji.
 *
 * @example
 * estimateTokens('Summarise the attached paper in three bullet points.') // 13
 */
export function estimateTokens(text: string): number {
  let ascii = 0
  let other = 0
  let wide = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) ascii++
    else if (code >= 0xd800 && code <= 0xdbff) {
      wide++
      i++ // a surrogate pair (emoji, rare CJK) is one character
    } else if (code >= 0x2e80) wide++
    else other++
  }
  return Math.ceil(ascii / 4 + other / 2 + wide)
}

/**
 * The default estimator, as a {@link TokenEstimator}.
 *
 * @example
 * createBudget({ limits, estimator: heuristicEstimator })
 */
export const heuristicEstimator = { count: estimateTokens }
