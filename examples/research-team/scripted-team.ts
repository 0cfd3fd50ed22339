// The scripted model behind the local OpenAI-compatible server: plausible replies for the planner, the
// researcher (with `search` tool calls) and the writer, with usage as OpenAI reports it (input counted
// from the request, cached prefixes from the previous call of the same agent, reasoning tokens for the
// o-series planner). It reads the budget warnings the adapters put into the request and wraps up, as a
// real model told to plan within its budget would.
import type { RecordedRequest, Responder, ScriptedReply } from '@tokenwarden/openai-test-server'

/**
 * The questions the planner hands to the researcher.
 *
 * @example
 * questions[0] // 'How do LLM gateways cap spend per key?'
 */
export const questions = [
  'How do LLM gateways cap spend per key?',
  'What limits do agent frameworks ship?',
  'What do in-process token budgets add?',
]

/**
 * The sections the writer drafts, in order.
 *
 * @example
 * for (const section of sections) messages.push({ role: 'user', content: `Write the section "${section}".` })
 */
export const sections = [
  'Introduction',
  'Gateways',
  'Frameworks',
  'In-process budgets',
  'Trade-offs',
  'Recommendations',
  'Conclusion',
]

/**
 * What the `search` tool returns for a query: three source summaries (about 1,100 tokens).
 *
 * @example
 * const search = tool(async ({ query }) => searchResults(query), { name: 'search', schema })
 */
export function searchResults(query: string): string {
  const topic = query.replace(/\?$/, '').toLowerCase()
  return [1, 2, 3]
    .map(
      (n) =>
        `[${n}] ${sources[n - 1]} on "${topic}": ${sourceBody.repeat(4)} Key figure ${n}: teams that ` +
        `enforce limits before the call report ${20 + n * 7}% lower monthly spend than teams that alert after it.`,
    )
    .join('\n')
}

/**
 * A responder for `startOpenAITestServer({ respond })` that plays the four agents (the editor on the
 * Anthropic route).
 *
 * @example
 * const server = await startOpenAITestServer({ respond: scriptedTeam() })
 */
export function scriptedTeam(): Responder {
  const previousInput = new Map<string, number>()
  return (request) => {
    const text = JSON.stringify(request.body?.messages ?? '')
    const system = JSON.stringify(request.body?.system ?? '') // Anthropic: the system prompt apart
    const role = text.includes('You are the planner')
      ? 'planner'
      : text.includes('You are the researcher')
        ? 'researcher'
        : system.includes('You are the editor')
          ? 'editor'
          : 'writer'
    const warned = text.includes('[Budget warning]')
    const reply =
      role === 'planner'
        ? planner(text)
        : role === 'researcher'
          ? researcher(request, warned)
          : role === 'editor'
            ? { text: 'A budget lets each agent plan its work and stops it gracefully before it overspends.' }
            : writer(text, warned)
    const inputTokens = Math.ceil(
      JSON.stringify(
        role === 'editor'
          ? [request.body?.system, request.body?.messages]
          : [request.body?.messages, request.body?.tools],
      ).length / 4,
    )
    // Providers cache a repeated prompt prefix (from 1,024 tokens, in steps of 128).
    const previous = previousInput.get(role) ?? 0
    previousInput.set(role, inputTokens)
    const cachedTokens = previous >= 1024 ? Math.floor(Math.min(previous, inputTokens) / 128) * 128 : 0
    const reasoningTokens = role === 'planner' ? 384 : 0
    let replyText = reply.text ?? ''
    let outputTokens = Math.ceil(replyText.length / 4) + (reply.toolCalls ? 18 : 0)
    // A clamped call gets cut at its maximum, like a real model (finish reason `length`).
    const max = request.body?.max_completion_tokens ?? request.body?.max_tokens
    let finishReason: string | undefined
    if (typeof max === 'number' && outputTokens + reasoningTokens > max) {
      outputTokens = Math.max(1, max - reasoningTokens)
      replyText = replyText.slice(0, outputTokens * 4)
      finishReason = 'length'
    }
    return {
      ...reply,
      text: reply.toolCalls ? undefined : replyText,
      finishReason,
      usage: { inputTokens, outputTokens: outputTokens + reasoningTokens, cachedTokens, reasoningTokens },
    }
  }
}

function planner(text: string): ScriptedReply {
  if (text.includes('Review the draft')) return { text: 'Approved: the draft answers all three questions.' }
  return { text: `Plan:\n${questions.map((q, i) => `${i + 1}. ${q}`).join('\n')}` }
}

function researcher(request: RecordedRequest, warned: boolean): ScriptedReply {
  const messages: { role: string }[] = request.body?.messages ?? []
  const searches = messages.filter((message) => message.role === 'tool').length
  const followUp = JSON.stringify(messages).includes('one more source')
  // The follow-up searches even when told to stop starting new work, as models sometimes do: the
  // budget middleware then ends the run before the next model call.
  if (followUp && searches === 0) {
    return {
      toolCalls: [{ name: 'search', arguments: JSON.stringify({ query: 'in-process token budgets' }) }],
    }
  }
  if (!followUp && !warned && searches < questions.length) {
    return { toolCalls: [{ name: 'search', arguments: JSON.stringify({ query: questions[searches] }) }] }
  }
  const early = !followUp && searches < questions.length ? ' (wrapping up early to stay within budget)' : ''
  return {
    text:
      `Notes${early}: gateways cap spend per API key after the fact; frameworks limit call counts, ` +
      'not tokens or dollars; in-process budgets reserve before each call, tell the agent as it nears ' +
      'its limit and stop it gracefully. Sources [1]-[3] agree that limits enforced before the call ' +
      'cut spend by a quarter or more.',
  }
}

function writer(text: string, warned: boolean): ScriptedReply {
  const section = [...text.matchAll(/Write the section \\"([^"\\]+)\\"/g)].at(-1)?.[1]
  if (section === undefined) {
    return { text: 'Budgets cap what each agent, user and conversation may spend, and stop work gracefully.' }
  }
  const body = sectionBodies[section] ?? sectionBodies.Introduction!
  // Told that the budget is running low, the writer keeps the section to its first paragraph.
  return { text: `## ${section}\n\n${warned ? body.split('\n\n')[0] : body}` }
}

const sources = ['Gateway docs survey (2026)', 'Agent framework changelog review', 'FinOps for LLMs report']

const sourceBody =
  'The authors compare budget controls in production agent systems, measuring how often a runaway ' +
  'tool loop exceeded its expected cost and how quickly operators noticed. Limits checked per request ' +
  'before the model call prevented every overrun in the sample, while dashboards and alerts caught ' +
  'them hours later. '

const paragraph =
  'Budgets turn a vague worry about cost into a number each agent can plan around. A research agent ' +
  'that knows it has used most of its allowance summarises instead of searching again, and a writer ' +
  'keeps to the essential sections. The controls compared here differ in where they act: at the ' +
  'gateway, after the request; in the framework, by counting calls; or in the process, before each call.'

const sectionBodies: Record<string, string> = Object.fromEntries(
  sections.map((section, index) => [
    section,
    `${section} (${index + 1}/${sections.length}). ${paragraph}\n\n${paragraph}\n\n${paragraph}`,
  ]),
)
