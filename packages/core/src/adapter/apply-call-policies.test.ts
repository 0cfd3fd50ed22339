import {
  BudgetExceededError,
  type CompressionEvent,
  createBudget,
  type DowngradeEvent,
  resolveBudgetPolicies,
  summaryInstructions,
  truncationMarker,
} from '@tokenwarden/core'
import {
  applyCallPolicies,
  type CallPart,
  estimateCallInput,
  type MessageEdit,
  type PolicyInput,
  type PolicyMessage,
} from '@tokenwarden/core/adapter'
import { describe, expect, it, vi } from 'vitest'

const thread = { thread: 't-1' }
const lastQuestion = 'Now compare Q3 with Q2 in two sentences.'
const isModel = (value: unknown): value is string => typeof value === 'string'

/** A conversation with a pasted report, a long tool result, an acknowledgement and a final question. */
function conversation(): PolicyInput {
  return {
    messages: [
      { role: 'system', content: 'You are a careful financial analyst.' },
      {
        role: 'user',
        content: `Here is the annual report:\n${'Revenue grew in every region. '.repeat(600)}`,
      },
      { role: 'assistant', content: 'Thanks, I read it.' },
      { role: 'user', content: 'Find the Q3 revenue.' },
      { role: 'assistant', content: [{ type: 'tool-call', name: 'search', text: '{"query":"Q3 revenue"}' }] },
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            name: 'search',
            text: `Q3 revenue was $4.2M. ${'Unrelated search noise. '.repeat(1500)}`,
          },
        ],
      },
      { role: 'assistant', content: 'Q3 revenue was $4.2M.' },
      { role: 'user', content: [{ type: 'text', text: 'ok' }] },
      { role: 'assistant', content: 'Anything else?' },
      { role: 'user', content: lastQuestion },
    ],
    tools: [{ name: 'search', parameters: { type: 'object' } }],
  }
}

async function budgetAt(share: number) {
  const budget = createBudget({ limits: [{ scope: 'thread', tokens: 100_000 }] })
  await budget.record(thread, { inputTokens: share * 100_000, outputTokens: 0 })
  return budget
}

function policiesOf(options: Parameters<typeof resolveBudgetPolicies<string, string>>[0]) {
  return resolveBudgetPolicies(options, {
    prefix: '',
    isModel,
    isSummarizer: isModel,
    summarizerKind: 'a model id',
  })
}

/** The input an adapter sends after applying the edits (the summary after the leading system message). */
function edited(input: PolicyInput, edits: readonly MessageEdit[], summary?: string): PolicyInput {
  const messages: PolicyMessage[] = []
  input.messages.forEach((message, index) => {
    const edit = edits[index]!
    if (edit.type === 'keep') messages.push(message)
    else if (edit.type === 'truncate') {
      let k = 0
      const content = (message.content as readonly CallPart[]).map((part) =>
        typeof part !== 'string' && part.type === 'tool-result'
          ? { ...part, text: edit.toolResults[k++]! }
          : part,
      )
      messages.push({ role: message.role, content })
    }
  })
  if (summary !== undefined) messages.splice(1, 0, { role: 'system', content: summary })
  return { ...input, messages }
}

describe('applyCallPolicies', () => {
  it('should read nothing and change nothing without policies', async () => {
    const budget = await budgetAt(0.95)
    const status = vi.spyOn(budget, 'status')
    const outcome = await applyCallPolicies(budget, policiesOf({}), {
      context: thread,
      modelId: 'gpt-4o',
      input: conversation(),
    })
    expect(outcome).toEqual({ usage: 0, modelId: 'gpt-4o', downgrade: undefined, compression: undefined })
    expect(status).not.toHaveBeenCalled()
  })

  describe('downgrade', () => {
    it('should choose the level model, charge under its id and emit one event', async () => {
      const budget = await budgetAt(0.91)
      const status = vi.spyOn(budget, 'status')
      const events: DowngradeEvent[] = []
      const listened: DowngradeEvent[] = []
      budget.on('downgraded', (event) => listened.push(event))
      const policies = policiesOf({
        downgrade: [{ atUsage: 0.9, model: 'gpt-4o-mini' }],
        onDowngraded: (event) => events.push(event),
      })
      const outcome = await applyCallPolicies(budget, policies, { context: thread, modelId: 'gpt-4o' })
      expect(outcome.modelId).toBe('gpt-4o-mini')
      expect(outcome.downgrade).toMatchObject({ model: 'gpt-4o-mini', from: 'gpt-4o' })
      expect(events).toEqual([
        { context: thread, from: 'gpt-4o', to: 'gpt-4o-mini', usage: 0.91, atUsage: 0.9 },
      ])
      expect(listened).toEqual(events)
      expect(status).toHaveBeenCalledTimes(1)
    })

    it('should keep the model below the level or when the level names the same model', async () => {
      const below = await applyCallPolicies(
        await budgetAt(0.89),
        policiesOf({ downgrade: [{ atUsage: 0.9, model: 'gpt-4o-mini' }] }),
        { context: thread, modelId: 'gpt-4o' },
      )
      expect(below).toMatchObject({ usage: 0.89, modelId: 'gpt-4o', downgrade: undefined })
      const same = await applyCallPolicies(
        await budgetAt(0.95),
        policiesOf({ downgrade: [{ atUsage: 0.9, model: 'gpt-4o-mini' }] }),
        { context: thread, modelId: 'gpt-4o-mini' },
      )
      expect(same.downgrade).toBeUndefined()
    })

    it('should name a level model through modelIdOf', async () => {
      const mini = { id: 'mini' }
      const outcome = await applyCallPolicies(
        await budgetAt(0.95),
        {
          compression: undefined,
          downgrade: [{ atUsage: 0.9, model: mini }],
          onCompressed: undefined,
          onDowngraded: undefined,
        },
        { context: thread, modelId: 'large', model: { id: 'large' }, modelIdOf: (model) => model.id },
      )
      expect(outcome.modelId).toBe('mini')
      expect(outcome.downgrade?.model).toBe(mini)
    })
  })

  describe('compression', () => {
    it('should send the input as it is below the first level', async () => {
      const budget = await budgetAt(0.5)
      const onCompressed = vi.fn()
      const outcome = await applyCallPolicies(budget, policiesOf({ compression: true, onCompressed }), {
        context: thread,
        modelId: 'gpt-4o',
        input: conversation(),
      })
      expect(outcome.compression).toBeUndefined()
      expect(onCompressed).not.toHaveBeenCalled()
    })

    it('should truncate the longest tool result to the moderate target and return its new text', async () => {
      const budget = await budgetAt(0.75)
      const events: CompressionEvent[] = []
      const input = conversation()
      const outcome = await applyCallPolicies(
        budget,
        policiesOf({ compression: { keepLatestTurns: 1 }, onCompressed: (event) => events.push(event) }),
        { context: thread, modelId: 'gpt-4o', input },
      )
      const { edits, summary, event } = outcome.compression!
      expect(event).toMatchObject({
        level: 'moderate',
        fits: true,
        truncated: 1,
        summarized: 0,
        model: 'gpt-4o',
      })
      expect(events).toEqual([event])
      expect(event.originalTokens).toBe(estimateCallInput(input, budget.estimator))
      expect(summary).toBeUndefined()
      const truncate = edits[5]!
      expect(truncate.type).toBe('truncate')
      const [text] = truncate.type === 'truncate' ? truncate.toolResults : []
      expect(text!.startsWith('Q3 revenue was $4.2M.')).toBe(true)
      expect(text!.endsWith(truncationMarker)).toBe(true)
      expect(edits.filter((edit) => edit.type === 'truncate')).toHaveLength(1)
      expect(estimateCallInput(edited(input, edits), budget.estimator)).toBeLessThanOrEqual(
        event.targetTokens,
      )
    })

    it('should drop a low-signal turn first', async () => {
      const budget = await budgetAt(0.75)
      const input: PolicyInput = {
        messages: [
          { role: 'user', content: 'x'.repeat(4000) },
          { role: 'user', content: [{ type: 'text', text: 'Thanks!' }] },
          { role: 'assistant', content: 'You are welcome.' },
          { role: 'user', content: lastQuestion },
        ],
      }
      const outcome = await applyCallPolicies(
        budget,
        policiesOf({
          compression: { keepLatestTurns: 1, levels: [{ atUsage: 0.7, targetRatio: 0.999 }] },
        }),
        { context: thread, modelId: 'gpt-4o', input },
      )
      expect(outcome.compression?.edits.map((edit) => edit.type)).toEqual(['keep', 'drop', 'keep', 'keep'])
    })

    it('should summarize older turns at 90% with one summary call built from the neutral texts', async () => {
      const budget = await budgetAt(0.92)
      const summarize = vi.fn(async () => '- Revenue grew everywhere.\n- Q3 revenue: $4.2M.')
      const input = conversation()
      const compression = {
        levels: [{ atUsage: 0.9, targetTokens: 400, strategies: ['summarize' as const] }],
      }
      const outcome = await applyCallPolicies(budget, policiesOf({ compression }), {
        context: thread,
        modelId: 'gpt-4o',
        input,
        summarize,
        summaryModelId: 'gpt-4o-mini',
      })
      expect(summarize).toHaveBeenCalledTimes(1)
      const [request] = summarize.mock.calls[0]! as unknown as [
        { instructions: string; prompt: string; maxOutputTokens: number },
      ]
      expect(request.instructions).toBe(summaryInstructions)
      expect(request.maxOutputTokens).toBe(256)
      expect(request.prompt).toContain('user: Here is the annual report')
      expect(request.prompt).toContain('assistant: [calls search {"query":"Q3 revenue"}]')
      expect(request.prompt).toContain('tool: [search returned] Q3 revenue was $4.2M.')
      expect(request.prompt).not.toContain(lastQuestion)
      const { edits, summary, event } = outcome.compression!
      expect(event).toMatchObject({ level: 'level-0.9', fits: true, summaryModel: 'gpt-4o-mini' })
      expect(event.summarized).toBeGreaterThan(0)
      expect(summary).toContain('Q3 revenue: $4.2M.')
      expect(edits[0]).toEqual({ type: 'keep' })
      expect(edits.at(-1)).toEqual({ type: 'keep' })
      expect(estimateCallInput(edited(input, edits, summary), budget.estimator)).toBeLessThanOrEqual(
        event.targetTokens,
      )
    })

    it('should drop the turns to summarize and report why when the summary call fails', async () => {
      const budget = await budgetAt(0.92)
      const refusal = new BudgetExceededError({
        scope: 'model',
        scopeId: 'gpt-4o-mini',
        limitName: 'model-tokens',
        unit: 'tokens',
        limit: 100,
        used: 0,
        reserved: 0,
        requested: 3000,
        remaining: 100,
        period: 'none',
        resetsAt: null,
      })
      const outcome = await applyCallPolicies(budget, policiesOf({ compression: true }), {
        context: thread,
        modelId: 'gpt-4o',
        input: conversation(),
        summarize: () => Promise.reject(refusal),
        summaryModelId: 'gpt-4o-mini',
      })
      const { edits, summary, event } = outcome.compression!
      expect(summary).toBeUndefined()
      expect(event.summaryError).toBe(refusal.message)
      expect(edits[1]).toEqual({ type: 'drop' })
    })

    it('should leave compression out without an input and charge it to the downgraded model', async () => {
      const budget = await budgetAt(0.95)
      const policies = policiesOf({ compression: true, downgrade: [{ atUsage: 0.9, model: 'gpt-4o-mini' }] })
      const bare = await applyCallPolicies(budget, policies, { context: thread, modelId: 'gpt-4o' })
      expect(bare.compression).toBeUndefined()
      const both = await applyCallPolicies(budget, policies, {
        context: thread,
        modelId: 'gpt-4o',
        input: conversation(),
      })
      expect(both.compression?.event.model).toBe('gpt-4o-mini')
    })
  })
})
