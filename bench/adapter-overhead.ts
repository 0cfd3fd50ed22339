/**
 * Adapter overhead: the same call on each framework's own test double, with and without our adapter, in
 * one run, in CPU time (this process's: other processes do not count, the helper threads of its own GC
 * do). The variants take turns in short batches (`--rounds`, the order turning every round), so the
 * process warming up or another process's burst lands on all of them alike. Reports µs per call of each
 * variant's fastest round, our overhead as the difference (the least disturbed figures) and the ratio,
 * and, as a check, the median over the rounds of budgeted − bare (two batches run back to back, so
 * it includes the major collections and preemptions the fastest rounds escape) with its min–max; and the
 * adapter's own overhead: that less the core pair alone (reserve + settle on the same budget settings).
 *
 * - ai-sdk: `generateText` on `MockLanguageModelV4`, bare vs `wrapLanguageModel` + `budgetMiddleware`.
 * - langchain: `fakeModel().invoke`, bare vs with `BudgetCallbackHandler`.
 * - openai: `chat.completions.create` with a `fetch` that answers at once (no network), bare vs `withBudget`.
 * - anthropic: `messages.create` with a `fetch` that answers at once (no network), bare vs `withBudget`.
 * - openai-agents: `Runner.run` of an agent on a `Model` that answers at once, bare vs `budgetModel` (and a
 *   pass-through wrapper: what any wrapper costs).
 *
 * Run: node bench/adapter-overhead.ts [--calls 20000] [--rounds 21]
 */
import Anthropic from '@anthropic-ai/sdk'
import { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import { AIMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { Agent, type Model, Runner, Usage } from '@openai/agents'
import { budgetMiddleware } from '@tokenwarden/ai-sdk'
import { withBudget as withAnthropicBudget } from '@tokenwarden/anthropic'
import { createBudget } from '@tokenwarden/core'
import { BudgetCallbackHandler } from '@tokenwarden/langchain'
import { withBudget } from '@tokenwarden/openai'
import { budgetModel } from '@tokenwarden/openai-agents'
import { generateText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import OpenAI from 'openai'

const args = process.argv.slice(2)
const calls = Number(args[args.indexOf('--calls') + 1] ?? 0) || 20_000
const rounds = Number(args[args.indexOf('--rounds') + 1] ?? 0) || 21
/** Calls per variant per round. */
const batch = Math.max(200, Math.round(calls / rounds))
const warmUp = 2_000

const newBudget = () =>
  createBudget({
    limits: [
      { scope: 'thread', tokens: Number.MAX_SAFE_INTEGER },
      { scope: 'agent', requests: Number.MAX_SAFE_INTEGER, period: 'day' },
    ],
  })
const context = { agent: 'bench', thread: 't-1' }

/** CPU µs this process used (its threads', GC helpers included): other processes' load does not count. */
const cpuMicros = () => {
  const { user, system } = process.cpuUsage()
  return user + system
}

/** Round figures of each variant: µs per call of each round, the variants measured in turn. */
async function timeInTurn(runs: (() => Promise<unknown>)[]): Promise<number[][]> {
  for (const run of runs) for (let i = 0; i < warmUp; i++) await run()
  const figures = runs.map(() => [] as number[])
  for (let round = 0; round < rounds; round++) {
    // the order turns every round, so no variant always runs right after another's garbage
    for (let k = 0; k < runs.length; k++) {
      const v = (k + round) % runs.length
      const run = runs[v]!
      const start = cpuMicros()
      for (let i = 0; i < batch; i++) await run()
      figures[v]!.push((cpuMicros() - start) / batch)
    }
  }
  return figures
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
/** Median over the rounds of a − b (each round's two figures measured back to back), with its spread. */
const paired = (a: number[], b: number[]) => {
  const each = a.map((value, i) => value - b[i]!)
  return { median: round2(median(each)), min: round2(Math.min(...each)), max: round2(Math.max(...each)) }
}

async function compare(
  name: string,
  bare: () => Promise<unknown>,
  budgeted: () => Promise<unknown>,
  /** the same call with a do-nothing hook in our place: what the framework charges for any hook */
  hooked?: () => Promise<unknown>,
) {
  const [bareRounds, budgetedRounds, hookedRounds] = await timeInTurn(
    hooked === undefined ? [bare, budgeted] : [bare, budgeted, hooked],
  )
  // the fastest round of each (the least disturbed by major GC and other processes; minor GCs of the
  // calls' own garbage happen in every round), as the benchmark always measured
  const bareUs = Math.min(...bareRounds!)
  const budgetedUs = Math.min(...budgetedRounds!)
  const hookedUs = hookedRounds === undefined ? undefined : Math.min(...hookedRounds)
  return {
    adapter: name,
    bareUs: round2(bareUs),
    ...(hookedUs === undefined
      ? {}
      : {
          noOpHookUs: round2(hookedUs),
          overheadOverNoOpUs: round2(budgetedUs - hookedUs),
          pairedOverNoOpUs: paired(budgetedRounds!, hookedRounds!),
        }),
    budgetedUs: round2(budgetedUs),
    overheadUs: round2(budgetedUs - bareUs),
    // every round's budgeted − bare, the two batches run back to back: median and spread
    pairedOverheadUs: paired(budgetedRounds!, bareRounds!),
    ratio: round2(budgetedUs / bareUs),
  }
}

const round2 = (value: number) => Math.round(value * 100) / 100

function aiSdk() {
  const usage = {
    inputTokens: { total: 12, noCache: 12, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: 5, text: 5, reasoning: 0 },
  }
  const mock = () =>
    new MockLanguageModelV4({
      doGenerate: async () => ({
        content: [{ type: 'text' as const, text: 'Hello there' }],
        finishReason: { unified: 'stop' as const, raw: 'stop' },
        usage,
        warnings: [],
      }),
    })
  const bareModel = mock()
  const wrapped = wrapLanguageModel({
    model: mock(),
    middleware: budgetMiddleware({ budget: newBudget(), context }),
  })
  return compare(
    'ai-sdk',
    () => generateText({ model: bareModel, prompt: 'Say hello', maxOutputTokens: 50 }),
    () => generateText({ model: wrapped, prompt: 'Say hello', maxOutputTokens: 50 }),
  )
}

function langchain() {
  const reply = () =>
    new AIMessage({
      content: 'Hello there',
      usage_metadata: { input_tokens: 12, output_tokens: 5, total_tokens: 17 },
    })
  // fakeModel answers from a queue: one reply per call, for both sides
  const model = fakeModel()
  for (let i = 0; i < 3 * (warmUp + rounds * batch); i++) model.respond(reply)
  const handler = new BudgetCallbackHandler({ budget: newBudget(), context })
  const noOp = BaseCallbackHandler.fromMethods({ handleChatModelStart() {}, handleLLMEnd() {} })
  return compare(
    'langchain',
    () => model.invoke('Say hello'),
    () => model.invoke('Say hello', { callbacks: [handler] }),
    () => model.invoke('Say hello', { callbacks: [noOp] }),
  )
}

function openai() {
  const body = JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 0,
    model: 'gpt-4o',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
  })
  const fetch = async () =>
    new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
  const client = () => new OpenAI({ apiKey: 'bench', baseURL: 'http://127.0.0.1:9/v1', fetch, maxRetries: 0 })
  const bare = client()
  const budgeted = withBudget(client(), { budget: newBudget(), context })
  const request = {
    model: 'gpt-4o',
    messages: [{ role: 'user' as const, content: 'Say hello' }],
    max_tokens: 50,
  }
  return compare(
    'openai',
    () => bare.chat.completions.create(request),
    () => budgeted.chat.completions.create(request),
  )
}

function anthropic() {
  const body = JSON.stringify({
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku-4-5',
    content: [{ type: 'text', text: 'Hello there' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 12, output_tokens: 5, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
  })
  const fetch = async () =>
    new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
  const client = () => new Anthropic({ apiKey: 'bench', baseURL: 'http://127.0.0.1:9', fetch, maxRetries: 0 })
  const bare = client()
  const budgeted = withAnthropicBudget(client(), { budget: newBudget(), context })
  const request = {
    model: 'claude-haiku-4-5',
    messages: [{ role: 'user' as const, content: 'Say hello' }],
    max_tokens: 50,
  }
  return compare(
    'anthropic',
    () => bare.messages.create(request),
    () => budgeted.messages.create(request),
  )
}

function openaiAgents() {
  const model: Model = {
    async getResponse() {
      return {
        usage: new Usage({ inputTokens: 12, outputTokens: 5 }),
        output: [
          {
            type: 'message' as const,
            role: 'assistant' as const,
            status: 'completed' as const,
            content: [{ type: 'output_text' as const, text: 'Hello there' }],
          },
        ],
        responseId: 'resp_1',
      }
    },
    async *getStreamedResponse() {},
  }
  const passThrough: Model = {
    getResponse: (request) => model.getResponse(request),
    getStreamedResponse: (request) => model.getStreamedResponse(request),
  }
  const runner = new Runner({ tracingDisabled: true })
  const agent = (on: Model) =>
    new Agent({ name: 'bench', instructions: 'Greet.', model: on, modelSettings: { maxTokens: 50 } })
  const bare = agent(model)
  const budgeted = agent(budgetModel(model, { budget: newBudget(), context: { thread: 't-1' } }))
  const hooked = agent(passThrough)
  return compare(
    'openai-agents',
    () => runner.run(bare, 'Say hello'),
    () => runner.run(budgeted, 'Say hello'),
    () => runner.run(hooked, 'Say hello'),
  )
}

const spreadOf = (p: { median: number; min: number; max: number }) => `${p.median} µs (${p.min}–${p.max})`

/**
 * The core pair every budgeted call makes, alone (the same budget settings, a call's numbers): µs of its
 * fastest round. Subtracted from an adapter's overhead, it leaves the adapter's own (the measure:
 * overhead over the core pair). Warm here; inside a framework call the pair runs with a colder cache,
 * so the adapter's own share is, if anything, smaller than this says.
 */
async function corePair(): Promise<number> {
  const budget = newBudget()
  const request = { model: 'gpt-4o', inputTokens: 12, maxOutputTokens: 50 }
  const usage = { inputTokens: 12, outputTokens: 5 }
  const [rounds] = await timeInTurn([async () => (await budget.reserve(context, request)).settle(usage)])
  return Math.min(...rounds!)
}

const pairUs = await corePair()
const measured = [await aiSdk(), await langchain(), await openai(), await anthropic(), await openaiAgents()]
const results = measured.map((r) => ({
  ...r,
  corePairUs: round2(pairUs),
  // the overhead (over the no-op hook where there is one) less the core pair's own time
  ownOverheadUs: round2((r.overheadOverNoOpUs ?? r.overheadUs) - pairUs),
}))
console.error(`core pair alone ${round2(pairUs)} µs`)
for (const r of results) {
  const hook =
    'noOpHookUs' in r
      ? `, no-op hook ${r.noOpHookUs} µs (ours +${r.overheadOverNoOpUs} µs over it; paired: ${spreadOf(r.pairedOverNoOpUs!)})`
      : ''
  console.error(
    `${r.adapter.padEnd(14)} bare ${r.bareUs} µs, budgeted ${r.budgetedUs} µs, +${r.overheadUs} µs (×${r.ratio}; paired rounds: median ${spreadOf(r.pairedOverheadUs)})${hook}; own over the core pair ${r.ownOverheadUs} µs`,
  )
}
console.log(JSON.stringify({ benchmark: 'adapter-overhead', node: process.version, calls, results }))
