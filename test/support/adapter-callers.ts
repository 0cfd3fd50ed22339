import { createOpenAI } from '@ai-sdk/openai'
import { HumanMessage } from '@langchain/core/messages'
import { ChatOpenAI } from '@langchain/openai'
import { budgetMiddleware } from '@tokenwarden/ai-sdk'
import type { Budget } from '@tokenwarden/core'
import { BudgetCallbackHandler } from '@tokenwarden/langchain'
import { withBudget } from '@tokenwarden/openai'
import { generateText, streamText, wrapLanguageModel } from 'ai'
import OpenAI from 'openai'

/** Options of {@link adapterCallers}. */
export interface AdapterCallersOptions {
  budget: Budget
  /** The OpenAI-compatible server every adapter talks to (ending in `/v1`). */
  baseURL: string
  /** The model name each adapter asks for (one per adapter, to tell their requests apart). */
  models: { aiSdk: string; langchain: string; openai: string }
  prompt: string
  maxOutputTokens: number
}

/**
 * Makes one budgeted model call; `index` picks the call kind (JSON or stream, chat or responses). Kind 1
 * is a stream for every adapter. `prompt` replaces the options' prompt for this call.
 */
export type AdapterCall = (index: number, prompt?: string) => Promise<void>

/** How many call kinds each adapter cycles through. */
export const callKinds = { aiSdk: 2, langchain: 2, openai: 3 } as const

/**
 * One budgeted caller per adapter, all on the same budget and server, through the public entries only:
 * - `aiSdk`: `@ai-sdk/openai` wrapped with `budgetMiddleware` (chat `generateText`, responses `streamText`),
 * - `langchain`: `ChatOpenAI` with one shared `BudgetCallbackHandler` (`invoke`, `stream`),
 * - `openai`: the `openai` client through `withBudget` (chat JSON, chat SSE, responses JSON).
 * Each call drains its stream and rejects with whatever the adapter raised (no retries anywhere).
 *
 * @example
 * const call = adapterCallers({ budget, baseURL: server.url, models, prompt: 'Hi', maxOutputTokens: 40 })
 * await call.langchain(1) // a ChatOpenAI stream
 */
export function adapterCallers({
  budget,
  baseURL,
  models,
  prompt: defaultPrompt,
  maxOutputTokens,
}: AdapterCallersOptions): Record<keyof typeof callKinds, AdapterCall> {
  const apiKey = 'test-key'

  const provider = createOpenAI({ apiKey, baseURL })
  const middleware = budgetMiddleware({ budget, context: { agent: 'ai-sdk' } })
  const aiSdkChat = wrapLanguageModel({ model: provider.chat(models.aiSdk), middleware })
  const aiSdkResponses = wrapLanguageModel({ model: provider.responses(models.aiSdk), middleware })

  const handler = new BudgetCallbackHandler({ budget, context: { agent: 'langchain' } })
  const chatModel = new ChatOpenAI({
    model: models.langchain,
    apiKey,
    configuration: { baseURL },
    maxTokens: maxOutputTokens,
    maxRetries: 0,
  })

  const client = withBudget(new OpenAI({ apiKey, baseURL, maxRetries: 0 }), {
    budget,
    context: { agent: 'openai' },
  })

  return {
    async aiSdk(index, prompt = defaultPrompt) {
      if (index % callKinds.aiSdk === 0) {
        await generateText({ model: aiSdkChat, prompt, maxOutputTokens, maxRetries: 0 })
        return
      }
      const result = streamText({
        model: aiSdkResponses,
        prompt,
        maxOutputTokens,
        maxRetries: 0,
        onError() {},
      })
      for await (const part of result.fullStream) if (part.type === 'error') throw part.error
    },
    async langchain(index, prompt = defaultPrompt) {
      const input = [new HumanMessage(prompt)]
      if (index % callKinds.langchain === 0) {
        await chatModel.invoke(input, { callbacks: [handler] })
        return
      }
      for await (const _chunk of await chatModel.stream(input, { callbacks: [handler] })) {
        // drain
      }
    },
    async openai(index, prompt = defaultPrompt) {
      const kind = index % callKinds.openai
      const messages = [{ role: 'user' as const, content: prompt }]
      if (kind === 0) {
        await client.chat.completions.create({
          model: models.openai,
          messages,
          max_completion_tokens: maxOutputTokens,
        })
      } else if (kind === 1) {
        const stream = await client.chat.completions.create({
          model: models.openai,
          messages,
          max_completion_tokens: maxOutputTokens,
          stream: true,
        })
        for await (const _chunk of stream) {
          // drain
        }
      } else {
        await client.responses.create({
          model: models.openai,
          input: prompt,
          max_output_tokens: maxOutputTokens,
        })
      }
    },
  }
}
