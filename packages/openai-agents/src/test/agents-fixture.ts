import { Agent, OpenAIProvider, Runner, tool } from '@openai/agents'
import type { Budget, BudgetContext, BudgetEvents, Tally } from '@tokenwarden/core'
import { type OpenAITestServer, startOpenAITestServer } from '@tokenwarden/openai-test-server'
import OpenAI from 'openai'
import { z } from 'zod'
import type { BudgetModelOptions } from '../budget-model.ts'
import { budgetModelProvider } from '../budget-model-provider.ts'

export type Api = 'responses' | 'chat'

/** The local OpenAI-compatible server and an `openai` client pointed at it. */
export async function startServer() {
  const server = await startOpenAITestServer()
  const client = new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 })
  return { server, client }
}

/** A Runner whose model provider is the SDK's `OpenAIProvider` (Responses or Chat Completions), budgeted. */
export function budgetedRunner(client: OpenAI, api: Api, options: BudgetModelOptions) {
  const provider = new OpenAIProvider({ openAIClient: client, useResponses: api === 'responses' })
  return new Runner({ modelProvider: budgetModelProvider(provider, options), tracingDisabled: true })
}

/** A researcher with a `lookup` tool that hands off to a writer. */
export function researchTeam(settings: { maxTokens?: number } = {}) {
  const lookup = tool({
    name: 'lookup',
    description: 'Look a fact up.',
    parameters: z.object({ query: z.string() }),
    execute: async ({ query }) => `fact about ${query}`,
  })
  const writer = new Agent({
    name: 'writer',
    instructions: 'Write the answer.',
    model: 'gpt-4o',
    modelSettings: settings,
  })
  const researcher = new Agent({
    name: 'researcher',
    instructions: 'Research, then hand off to the writer.',
    model: 'gpt-4o',
    tools: [lookup],
    handoffs: [writer],
    modelSettings: settings,
  })
  return { researcher, writer }
}

/** The replies of a research-team run: a tool call, a handoff, the answer. */
export const teamReplies = [
  {
    toolCalls: [{ name: 'lookup', arguments: '{"query":"tides"}' }],
    usage: { inputTokens: 120, outputTokens: 30, cachedTokens: 100, reasoningTokens: 12 },
  },
  {
    toolCalls: [{ name: 'transfer_to_writer', arguments: '{}' }],
    usage: { inputTokens: 160, outputTokens: 20, cachedTokens: 64, reasoningTokens: 7 },
  },
  { text: 'Tides follow the moon.', usage: { inputTokens: 200, outputTokens: 41 } },
]

export function recordSettlements(budget: Budget) {
  const settled: BudgetEvents['settled'][] = []
  budget.on('settled', (event) => settled.push(event))
  return settled
}

export function sumUsage(usages: Tally[]) {
  const total = { inputTokens: 0, outputTokens: 0, cachedTokens: 0, reasoningTokens: 0, requests: 0 }
  for (const usage of usages) {
    total.inputTokens += usage.inputTokens
    total.outputTokens += usage.outputTokens
    total.cachedTokens += usage.cachedInputTokens
    total.reasoningTokens += usage.reasoningTokens
    total.requests += usage.requests
  }
  return total
}

/** What the server reported, in the shape of {@link sumUsage}. */
export function serverTotals(server: OpenAITestServer) {
  const { inputTokens, outputTokens, cachedTokens, reasoningTokens, requests } = server.totals()
  return { inputTokens, outputTokens, cachedTokens, reasoningTokens, requests }
}

/** The total reserved on every limit of a context (0 when nothing is held). */
export async function reservedOf(budget: Budget, context: BudgetContext): Promise<number> {
  const statuses = await budget.status(context)
  return statuses.reduce((sum, status) => sum + status.reserved, 0)
}

/** Settled usage of one unit on the first limit of a context. */
export async function usedOf(budget: Budget, context: BudgetContext, unit = 'tokens'): Promise<number> {
  const statuses = await budget.status(context)
  return statuses.find((status) => status.unit === unit)?.used ?? 0
}

/** The instructions the model received with a request (Responses `instructions`, chat's system message). */
export function instructionsOf(request: { body: any }): string {
  if (typeof request.body?.instructions === 'string') return request.body.instructions
  const system = request.body?.messages?.find((message: { role: string }) => message.role === 'system')
  return typeof system?.content === 'string' ? system.content : ''
}
