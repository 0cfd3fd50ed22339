// One run of the public API that every runtime executes (Bun, Deno, workerd, edge-runtime): the core's
// reserve, settle, refuse, clamp and release, then the AI SDK middleware's generate and stream paths with
// `MockLanguageModelV4`. It returns plain JSON that runtimes.e2e.test.ts asserts. Web-standard APIs only.

import type { LanguageModelV4StreamPart, LanguageModelV4Usage } from '@ai-sdk/provider'
import { budgetMiddleware } from '@tokenwarden/ai-sdk'
import {
  BudgetExceededError,
  type BudgetOptions,
  BudgetValidationError,
  createBudget,
  formatStatus,
} from '@tokenwarden/core'
import { generateText, streamText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'

/** What the test asserts, identical on every runtime and store. */
export interface ScenarioResult {
  runtime: string
  core: {
    held: { state: string; reserved: number }
    settled: { state: string; costUsd: number; tokens: number; cached: number }
    warnings: number[]
    refusal: { isInstance: boolean; remaining: number; requested: number }
    clampedTo: number
    invalidField: string | undefined
    status: { used: number; reserved: number; text: string }
  }
  aiSdk: {
    generated: { text: string; totalTokens: number | undefined }
    streamed: { text: string; totalTokens: number | undefined }
    refusal: { isInstance: boolean; scope: string; modelCalls: number }
    status: { used: number; reserved: number }
  }
}

/**
 * Runs the scenario on `store` (the memory store when omitted). `prefix` keeps runs on a shared store apart.
 *
 * @example
 * console.log(JSON.stringify(await runScenario()))
 */
export async function runScenario({
  store,
  prefix = 'run',
}: {
  store?: () => BudgetOptions['store']
  prefix?: string
} = {}): Promise<ScenarioResult> {
  return {
    runtime: runtimeName(),
    core: await runCore(store, `${prefix}-core`),
    aiSdk: await runAiSdk(store, `${prefix}-ai`),
  }
}

async function runCore(store: (() => BudgetOptions['store']) | undefined, thread: string) {
  const budget = createBudget({
    store: store?.(),
    limits: [{ scope: 'thread', tokens: 1000 }],
    prices: {
      models: { 'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10, cachedInputPerMillion: 1.25 } },
    },
  })
  const context = { thread, agent: 'runtime' }
  const request = { model: 'gpt-4o', inputTokens: 300, maxOutputTokens: 500 }

  const reservation = await budget.reserve(context, request)
  const [held] = await budget.status(context)
  const heldState = reservation.state
  const settled = await reservation.settle({
    inputTokens: 300,
    outputTokens: 480,
    cachedInputTokens: 100,
    reasoningTokens: 20,
  })
  const warnings = budget.takeWarnings(context).map((warning) => warning.threshold)

  let refusal = { isInstance: false, remaining: -1, requested: -1 }
  try {
    await budget.reserve(context, request)
  } catch (error) {
    if (!BudgetExceededError.isInstance(error)) throw error
    refusal = { isInstance: true, remaining: error.remaining, requested: error.requested }
  }
  const clamped = await budget.reserve(context, { ...request, inputTokens: 100, clamp: true })
  const clampedTo = clamped.maxOutputTokens
  await clamped.release()

  let invalidField: string | undefined
  try {
    createBudget({ limits: [{ scope: 'thread', tokens: -1 }] })
  } catch (error) {
    if (BudgetValidationError.isInstance(error)) invalidField = error.field
  }

  const [status] = await budget.status(context)
  await budget.dispose()
  return {
    held: { state: heldState, reserved: held!.reserved },
    settled: {
      state: reservation.state,
      costUsd: settled.costUsd,
      tokens: settled.usage.tokens,
      cached: settled.usage.cachedInputTokens,
    },
    warnings,
    refusal,
    clampedTo,
    invalidField,
    status: { used: status!.used, reserved: status!.reserved, text: formatStatus(status!) },
  }
}

async function runAiSdk(store: (() => BudgetOptions['store']) | undefined, thread: string) {
  const budget = createBudget({ store: store?.(), limits: [{ scope: 'thread', tokens: 1000 }] })
  const mock = new MockLanguageModelV4({
    doGenerate: async () => ({
      content: [{ type: 'text', text: 'generated' }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: usage(300, 100),
      warnings: [],
    }),
    doStream: async () => ({ stream: streamOf(['str', 'eamed'], usage(200, 50)) }),
  })
  const model = wrapLanguageModel({
    model: mock,
    middleware: budgetMiddleware({ budget, context: { agent: 'writer' } }),
  })
  const perCall = { providerOptions: { tokenwarden: { thread } }, maxOutputTokens: 200 }

  const generated = await generateText({ model, prompt: 'Write the summary.', ...perCall })
  const streamed = streamText({ model, prompt: 'Stream the summary.', ...perCall })
  const streamedText = await streamed.text
  const streamedUsage = await streamed.totalUsage

  // 650 of 1,000 tokens used: a call that reserves its prompt + 800 output tokens cannot be afforded.
  let refusal = { isInstance: false, scope: '', modelCalls: -1 }
  try {
    await generateText({ model, prompt: 'One more.', ...perCall, maxOutputTokens: 800, maxRetries: 0 })
  } catch (error) {
    if (!BudgetExceededError.isInstance(error)) throw error
    refusal = { isInstance: true, scope: error.scope, modelCalls: mock.doGenerateCalls.length }
  }

  const [status] = await budget.status({ agent: 'writer', thread })
  await budget.dispose()
  return {
    generated: { text: generated.text, totalTokens: generated.usage.totalTokens },
    streamed: { text: streamedText, totalTokens: streamedUsage.totalTokens },
    refusal,
    status: { used: status!.used, reserved: status!.reserved },
  }
}

/** The runtime this runs on, from its own globals, so a test cannot pass on the wrong one. */
function runtimeName(): string {
  const runtime = globalThis as {
    Bun?: { version: string }
    Deno?: { version: { deno: string } }
    EdgeRuntime?: unknown
  }
  if (runtime.Bun) return `bun ${runtime.Bun.version}`
  if (runtime.Deno) return `deno ${runtime.Deno.version.deno}`
  if (typeof runtime.EdgeRuntime === 'string') return 'edge-runtime'
  if (globalThis.navigator?.userAgent === 'Cloudflare-Workers') return 'workerd'
  return 'unknown'
}

function usage(input: number, output: number): LanguageModelV4Usage {
  return {
    inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: output, text: output, reasoning: undefined },
  }
}

function streamOf(
  deltas: string[],
  finishUsage: LanguageModelV4Usage,
): ReadableStream<LanguageModelV4StreamPart> {
  const parts: LanguageModelV4StreamPart[] = [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id: 't1' },
    ...deltas.map((delta) => ({ type: 'text-delta' as const, id: 't1', delta })),
    { type: 'text-end', id: 't1' },
    { type: 'finish', usage: finishUsage, finishReason: { unified: 'stop', raw: 'stop' } },
  ]
  let index = 0
  return new ReadableStream({
    pull(controller) {
      if (index < parts.length) controller.enqueue(parts[index++]!)
      else controller.close()
    },
  })
}
